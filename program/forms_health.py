"""The program settings form: owner and steering group chosen among the organization's members only."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from accounts.scoping import OrgContext
from core.forms import BootstrapFormMixin
from program.health import selectors
from program.models import ProgramSettings

User = get_user_model()


def _user_label(user) -> str:
    return user.get_full_name() or user.get_username()


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return _user_label(obj)


class MembersChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return _user_label(obj)


class ProgramSettingsForm(BootstrapFormMixin, forms.ModelForm):
    owner = MemberChoiceField(
        label=_("Program owner"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("The person accountable for the CX program."),
    )
    steering_group = MembersChoiceField(
        label=_("Steering group"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leaders who meet regularly to decide on the program's priorities (at least two)."),
    )

    class Meta:
        model = ProgramSettings
        fields = ["owner", "steering_group", "steering_cadence"]

    def __init__(self, *args, ctx: OrgContext, **kwargs):
        super().__init__(*args, **kwargs)
        members = selectors.member_choices(ctx=ctx)
        self.fields["owner"].queryset = members
        self.fields["steering_group"].queryset = members

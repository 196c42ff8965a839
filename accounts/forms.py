from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, Team
from accounts.scoping import OrgContext
from cxplatform.forms import BootstrapFormMixin


class TeamForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = Team
        fields = ["name", "description", "lead"]

    def __init__(self, *args, ctx: OrgContext, **kwargs):
        super().__init__(*args, **kwargs)
        from django.contrib.auth import get_user_model

        self.fields["lead"].queryset = (
            get_user_model().objects.filter(memberships__organization=ctx.organization).order_by("username")
        )
        self._ctx = ctx

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        qs = Team.objects.for_org(self._ctx.organization).filter(name__iexact=name)
        if self.instance.pk:
            qs = qs.exclude(pk=self.instance.pk)
        if qs.exists():
            raise forms.ValidationError(_("A team with this name already exists."))
        return name


class MemberForm(BootstrapFormMixin, forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    teams = forms.ModelMultipleChoiceField(label=_("Teams"), queryset=Team.objects.none(), required=False)

    def __init__(self, *args, ctx: OrgContext, with_email: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["teams"].queryset = Team.objects.for_org(ctx.organization)
        if not with_email:
            del self.fields["email"]


class ApiKeyForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120, help_text=_("What the key is used for, e.g. 'CRM sync'."))

"""Forms for the journey pages. Every choice of a related row is limited to the caller's organization."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Team
from accounts.scoping import OrgContext
from core.forms import BootstrapFormMixin
from journeys import selectors
from journeys.models import Journey, Persona, Stage, Touchpoint

User = get_user_model()


def _user_label(user) -> str:
    return user.get_full_name() or user.get_username()


class StageChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Stage) -> str:
        return f"{obj.journey.name} › {obj.name}"


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return _user_label(obj)


class PersonaForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = Persona
        fields = ["name", "description", "goals"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3}), "goals": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, ctx: OrgContext, **kwargs):
        super().__init__(*args, **kwargs)
        self._ctx = ctx

    def clean_name(self) -> str:
        # The unique constraint includes organization, which is not a form field, so Django would not check it.
        name = self.cleaned_data["name"].strip()
        qs = selectors.persona_list(ctx=self._ctx, include_archived=True).filter(name__iexact=name)
        if self.instance.pk:
            qs = qs.exclude(pk=self.instance.pk)
        if qs.exists():
            raise forms.ValidationError(_("A persona with this name already exists."))
        return name


class JourneyForm(BootstrapFormMixin, forms.ModelForm):
    owner = OwnerChoiceField(label=_("Owner"), queryset=User.objects.none(), required=False)

    class Meta:
        model = Journey
        fields = ["name", "description", "owner", "personas", "score_method"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, ctx: OrgContext, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = selectors.owner_choices(ctx=ctx)
        personas = selectors.persona_list(ctx=ctx, include_archived=True)
        current = list(self.instance.personas.values_list("pk", flat=True)) if self.instance.pk else []
        # An archived persona stays selectable only where it is already attached.
        self.fields["personas"].queryset = personas.filter(Q(is_archived=False) | Q(pk__in=current))
        self.fields["personas"].help_text = _("Who walks this journey.")
        # Optional in a post (clients that predate it keep working): left out, the journey keeps its method.
        self.fields["score_method"].required = False

    def clean_score_method(self) -> str:
        return self.cleaned_data.get("score_method") or self.instance.score_method or Journey.ScoreMethod.RESPONDENTS


class StageForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = Stage
        fields = ["name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


class TouchpointQuickForm(BootstrapFormMixin, forms.ModelForm):
    """The few fields needed to put a touchpoint on the map; the rest can be filled in on its page."""

    owner = OwnerChoiceField(label=_("Accountable owner"), queryset=User.objects.none(), required=False)

    class Meta:
        model = Touchpoint
        fields = ["name", "channel", "owner", "responsible_team", "is_moment_of_truth"]

    def __init__(self, *args, ctx: OrgContext, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = selectors.owner_choices(ctx=ctx)
        self.fields["responsible_team"].queryset = Team.objects.for_org(ctx.organization)


class TouchpointForm(TouchpointQuickForm):
    stage = StageChoiceField(label=_("Stage"), queryset=Stage.objects.none())

    class Meta(TouchpointQuickForm.Meta):
        fields = [
            "stage",
            "name",
            "description",
            "channel",
            "owner",
            "responsible_team",
            "is_moment_of_truth",
            "pain_points",
            "priority",
            "score_weight",
            "is_active",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "pain_points": forms.Textarea(attrs={"rows": 3}),
            "score_weight": forms.NumberInput(attrs={"step": "any", "min": "0"}),
        }

    def __init__(self, *args, ctx: OrgContext, **kwargs):
        super().__init__(*args, ctx=ctx, **kwargs)
        # The current stage stays valid even if its journey was archived meanwhile.
        current = self.instance.stage_id if self.instance.pk else None
        self.fields["stage"].queryset = selectors.stage_choices(ctx=ctx, also_pk=current)
        self.fields["pain_points"].help_text = _("One per line. Shown collapsed on the journey map.")

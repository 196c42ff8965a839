"""The audit log's filters: one form for the page, its CSV export and the API, so all three filter alike."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.scoping import OrgContext
from audit import actions
from audit.selectors import AuditFilters, audit_actor_choices
from core.forms import BootstrapFormMixin


class _ActorField(forms.ModelChoiceField):
    def label_from_instance(self, user) -> str:
        return user.get_full_name() or user.get_username()


class AuditFilterForm(BootstrapFormMixin, forms.Form):
    actor = _ActorField(label=_("Who"), queryset=None, required=False, empty_label=_("Anyone"))
    action = forms.CharField(
        label=_("Action"),
        required=False,
        max_length=60,
        help_text=_("One action, or every action on one kind of object when it ends with a dot (customer.)."),
        widget=forms.TextInput(attrs={"list": "audit-actions", "autocomplete": "off"}),
    )
    target_type = forms.CharField(
        label=_("Object type"),
        required=False,
        max_length=60,
        widget=forms.TextInput(attrs={"list": "audit-object-types", "autocomplete": "off"}),
    )
    target_id = forms.CharField(label=_("Object id"), required=False, max_length=64)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    q = forms.CharField(
        label=_("Text"),
        required=False,
        max_length=200,
        help_text=_("Part of a name (who, or the object), or an object's id."),
        widget=forms.TextInput(attrs={"type": "search"}),
    )

    def __init__(self, *args, ctx: OrgContext, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["actor"].queryset = audit_actor_choices(ctx=ctx)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned

    def to_filters(self) -> AuditFilters:
        """The filters of a valid form (an unbound or invalid one filters nothing out: check is_valid first)."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        actor = data.get("actor")
        return AuditFilters(
            actor_id=actor.pk if actor is not None else None,
            action=(data.get("action") or "").strip(),
            target_type=(data.get("target_type") or "").strip().lower(),
            target_id=(data.get("target_id") or "").strip(),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            text=data.get("q") or "",
        )

    @staticmethod
    def action_choices() -> list[tuple[str, str]]:
        return [(code, str(label)) for code, label in actions.LABELS.items()]

    @staticmethod
    def object_type_choices() -> list[tuple[str, str]]:
        return [(code, actions.object_type_label(code)) for code in actions.OBJECT_TYPES]

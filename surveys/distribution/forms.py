from __future__ import annotations

import re
from functools import partial

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.scoping import OrgContext
from core.forms import BootstrapFormMixin
from journeys.models import Touchpoint
from surveys.distribution import selectors
from surveys.explorer.forms import touchpoints_by_journey
from surveys.models import ContactDecision, Survey

MAX_INVITES = 1000


class InviteForm(BootstrapFormMixin, forms.Form):
    external_ids = forms.CharField(
        label=_("Customer ids"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("External customer ids, separated by spaces, commas or new lines."),
    )
    segment = forms.ChoiceField(label=_("…or everyone in a segment"), required=False)
    touchpoint = forms.ModelChoiceField(label=_("Touchpoint"), queryset=Touchpoint.objects.none(), required=False)

    def __init__(self, *args, ctx: OrgContext, survey: Survey, **kwargs):
        super().__init__(*args, **kwargs)
        self.ctx = ctx
        self.fields["segment"].choices = [("", "—")] + [(s, s) for s in selectors.customer_segments(ctx=ctx)]
        self.fields["touchpoint"].queryset = (
            survey.touchpoints.for_org(ctx.organization).select_related("journey").order_by("journey__name", "name")
        )
        self.fields["touchpoint"].choices = partial(touchpoints_by_journey, self.fields["touchpoint"].queryset)

    def clean(self):
        data = super().clean()
        ids = [x for x in re.split(r"[\s,;]+", data.get("external_ids") or "") if x]
        if not ids and not data.get("segment"):
            raise forms.ValidationError(_("Give customer ids or choose a segment."))
        if ids:
            customers = list(selectors.customers_by_external_ids(ctx=self.ctx, external_ids=ids[: MAX_INVITES + 1]))
            found = {c.external_id for c in customers}
            data["unknown_ids"] = [x for x in ids if x not in found][:50]
        else:
            customers = list(selectors.customers_in_segment(ctx=self.ctx, segment=data["segment"])[: MAX_INVITES + 1])
        if len(customers) > MAX_INVITES:
            raise forms.ValidationError(
                _("At most %(n)s customers at a time; use the API for larger sends.") % {"n": MAX_INVITES}
            )
        data["customers"] = customers
        return data


class DecisionFilterForm(BootstrapFormMixin, forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), required=False)
    reason = forms.ChoiceField(label=_("Reason"), required=False)
    touchpoint = forms.ModelChoiceField(label=_("Touchpoint"), queryset=Touchpoint.objects.none(), required=False)
    customer = forms.CharField(label=_("Customer"), required=False, max_length=100)
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, ctx: OrgContext, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision"].choices = [("", _("All")), *ContactDecision.Decision.choices]
        self.fields["reason"].choices = [("", _("All")), *ContactDecision.Reason.choices]
        self.fields["touchpoint"].queryset = (
            Touchpoint.objects.for_org(ctx.organization).select_related("journey").order_by("journey__name", "name")
        )
        self.fields["touchpoint"].choices = partial(touchpoints_by_journey, self.fields["touchpoint"].queryset)

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        d = self.cleaned_data
        return {
            "decision": d["decision"],
            "reason": d["reason"],
            "touchpoint_id": d["touchpoint"].pk if d["touchpoint"] else None,
            "customer": d["customer"],
            "date_from": d["date_from"],
            "date_to": d["date_to"],
        }

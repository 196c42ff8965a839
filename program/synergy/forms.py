"""The compound-failure page's filters: a period (days, organization time zone) and a journey."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.scoping import OrgContext
from cxplatform.forms import BootstrapFormMixin
from program.synergy.selectors import journey_choices

# A year: enough poor experiences to see the effect, and most customers' 180 days of churn follow-up are over.
DEFAULT_DAYS = 365


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    return today - dt.timedelta(days=DEFAULT_DAYS - 1), today


class CompoundFilterForm(BootstrapFormMixin, forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    journey = forms.ModelChoiceField(label=_("Journey"), queryset=None, required=False, empty_label=_("All journeys"))

    def __init__(self, *args, ctx: OrgContext, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["journey"].queryset = journey_choices(ctx=ctx)
        self.today = today

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("The end comes before the start."))
        return data

    def values(self) -> tuple[dt.date, dt.date, object | None]:
        """(start, end, journey): what validated, the defaults for the rest (a bad value drops only that filter)."""
        start, end = default_period(self.today)
        if not self.is_bound:
            return start, end, None
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        start = data.get("start") or start
        end = data.get("end") or end
        if start > end:
            start, end = default_period(self.today)
        return start, end, data.get("journey")

    def error_messages(self) -> list[str]:
        if not self.is_bound:
            return []
        self.is_valid()
        return [str(e) for errors in self.errors.values() for e in errors]

"""The compound-failure page's filters: a period (days, organization time zone) and a journey.

The period is checked against program.synergy.periods (the API checks the same): a day out of bounds or a period
too long is a form error on the page, and the default period is shown instead, never a 500.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from accounts.scoping import OrgContext
from core.forms import BootstrapFormMixin
from program.synergy.periods import DEFAULT_DAYS, EARLIEST_DAY, day_error, default_period, latest_day, period_error
from program.synergy.selectors import journey_choices

__all__ = ["DEFAULT_DAYS", "CompoundFilterForm", "default_period"]


def _short(day: dt.date) -> str:
    return date_format(day, "SHORT_DATE_FORMAT")


class CompoundFilterForm(BootstrapFormMixin, forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    journey = forms.ModelChoiceField(label=_("Journey"), queryset=None, required=False, empty_label=_("All journeys"))

    def __init__(self, *args, ctx: OrgContext, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["journey"].queryset = journey_choices(ctx=ctx)
        self.today = today
        for name in ("start", "end"):  # the browser's date picker offers only the days allowed
            self.fields[name].widget.attrs.update(min=EARLIEST_DAY.isoformat(), max=latest_day(today).isoformat())

    def _day(self, name: str) -> dt.date | None:
        day = self.cleaned_data.get(name)
        if day is not None and (error := day_error(day, self.today, _short)):
            raise forms.ValidationError(error, code="out_of_range")
        return day

    def clean_start(self) -> dt.date | None:
        return self._day("start")

    def clean_end(self) -> dt.date | None:
        return self._day("end")

    def clean(self):
        data = super().clean()
        if "start" in self.errors or "end" in self.errors:
            return data
        default_start, default_end = default_period(self.today)
        start, end = data.get("start") or default_start, data.get("end") or default_end
        error = period_error(start, end)
        if error:
            self.add_error("end" if start > end else None, error)
        return data

    def values(self) -> tuple[dt.date, dt.date, object | None]:
        """(start, end, journey): what validated; the default period when a day or the period is wrong (a bad
        journey drops only the journey)."""
        start, end = default_period(self.today)
        if not self.is_bound:
            return start, end, None
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        if any(name in self.errors for name in ("start", "end", NON_FIELD_ERRORS)):
            return start, end, data.get("journey")
        return data.get("start") or start, data.get("end") or end, data.get("journey")

    def error_messages(self) -> list[str]:
        if not self.is_bound:
            return []
        self.is_valid()
        return [str(e) for errors in self.errors.values() for e in errors]

"""Forms of the perception pages: a new perception survey, and the customers' window of the gap page."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.scoping import OrgContext
from program.models import Audience
from program.perception import selectors

MAX_WINDOW_DAYS = 3 * 366


class TouchpointChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name


class PerceptionCreateForm(forms.Form):
    journey = forms.ModelChoiceField(label=_("Journey"), queryset=None, empty_label=None)
    audience = forms.ChoiceField(
        label=_("Ask"),
        choices=Audience.choices,
        initial=Audience.LEADERSHIP,
        widget=forms.RadioSelect,
        help_text=_("Leaders, or the frontline staff who meet the customers."),
    )
    touchpoints = TouchpointChoiceField(
        label=_("Touchpoints"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked to ask about every active touchpoint of the journey."),
    )
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        required=False,
        help_text=_("Optional; for example “Leadership team, spring”."),
    )

    def __init__(self, *args, ctx: OrgContext, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["journey"].queryset = selectors.journey_choices(ctx=ctx)
        self.fields["journey"].widget.attrs["class"] = "form-select"
        self.fields["name"].widget.attrs["class"] = "form-control"
        self.fields["touchpoints"].queryset = selectors.touchpoint_choices(ctx=ctx)
        for name in ("audience", "touchpoints"):
            self.fields[name].widget.attrs["class"] = "form-check-input"

    def touchpoint_groups(self) -> list[tuple[str, list]]:
        """The touchpoint checkboxes grouped under their journey's name, for the template."""
        journeys = {tp.pk: tp.journey.name for tp in self.fields["touchpoints"].queryset}
        groups: dict[str, list] = {}
        for box in self["touchpoints"]:
            groups.setdefault(journeys.get(box.data["value"].value, ""), []).append(box)
        return list(groups.items())

    def clean(self) -> dict:
        data = super().clean()
        journey, touchpoints = data.get("journey"), data.get("touchpoints")
        if journey is not None and touchpoints and any(tp.journey_id != journey.pk for tp in touchpoints):
            self.add_error("touchpoints", _("Tick touchpoints of the chosen journey only."))
        return data

    def touchpoint_ids(self) -> list[int] | None:
        chosen = self.cleaned_data.get("touchpoints")
        return [tp.pk for tp in chosen] if chosen else None


class WindowForm(forms.Form):
    """The customers' window: both dates, or neither (the 90 days up to the last staff answer)."""

    start = forms.DateField(label=_("Customers from"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("to"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-control form-control-sm"

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                self.add_error("end", _("The end comes before the start."))
            elif (end - start) > dt.timedelta(days=MAX_WINDOW_DAYS):
                self.add_error("start", _("Choose at most three years."))
        return data

    def window(self) -> tuple[dt.date | None, dt.date | None]:
        if not self.is_valid():
            return None, None
        return self.cleaned_data.get("start"), self.cleaned_data.get("end")

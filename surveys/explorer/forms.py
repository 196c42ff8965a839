"""Forms of the response explorer (its filters, a saved filter) and the grouped touchpoint choices that other
filter forms (distribution, voice) reuse."""

from __future__ import annotations

from functools import partial

from django import forms
from django.conf import settings
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from accounts.scoping import OrgContext
from core.forms import BootstrapFormMixin
from journeys.models import Channel
from surveys.ingestion import selectors
from surveys.ingestion.selectors import NPS_BANDS, ResponseFilters
from surveys.models import Response

# What the explorer says about a filter it could not apply (a link to a touchpoint outside the reader's teams,
# another organization's id, a bad date): whole sentences per filter, else the field's label with Django's error.
IGNORED_FILTER = {
    "journey": _("The journey filter was not applied: that journey does not exist or is not one you can see."),
    "touchpoint": _(
        "The touchpoint filter was not applied: that touchpoint does not exist or its responses are not yours to see."
    ),
    "survey": _("The survey filter was not applied: that survey does not exist or is not one you can see."),
    "persona": _("The persona filter was not applied: that persona does not exist or is not one you can see."),
}
BAND_LABELS = {"promoter": _("Promoters (9-10)"), "passive": _("Passives (7-8)"), "detractor": _("Detractors (0-6)")}


def touchpoints_by_journey(queryset) -> list:
    """Select choices with the touchpoints grouped under their journey (an <optgroup> per journey)."""
    groups: dict[str, list[tuple[int, str]]] = {}
    for tp in queryset:
        groups.setdefault(tp.journey.name if tp.journey_id else "", []).append((tp.pk, tp.name))
    return [("", "—"), *((journey or "—", options) for journey, options in groups.items())]


class ResponseFilterForm(BootstrapFormMixin, forms.Form):
    """GET filters of the explorer. Invalid values (e.g. another organization's id) are not applied, never looked up,
    and `filter_errors()` says which (the explorer shows them above the results)."""

    journey = forms.ModelChoiceField(queryset=None, required=False, label=_("Journey"))
    touchpoint = forms.ModelChoiceField(queryset=None, required=False, label=_("Touchpoint"))
    survey = forms.ModelChoiceField(queryset=None, required=False, label=_("Survey"))
    band = forms.ChoiceField(required=False, label=_("NPS band"))
    language = forms.ChoiceField(required=False, label=_("Language"))
    segment = forms.ChoiceField(required=False, label=_("Segment"))
    persona = forms.ModelChoiceField(queryset=None, required=False, label=_("Persona"))
    channel = forms.ChoiceField(required=False, label=_("Channel"))
    source = forms.ChoiceField(required=False, label=_("Source"))
    comment = forms.BooleanField(required=False, label=_("With a comment"))

    def __init__(self, *args, ctx: OrgContext, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # "from" is a Python keyword: these fields are added by name.
        self.fields["from"] = forms.DateField(
            required=False, label=_("From"), widget=forms.DateInput(attrs={"type": "date", "class": "form-control"})
        )
        self.fields["to"] = forms.DateField(
            required=False, label=_("To"), widget=forms.DateInput(attrs={"type": "date", "class": "form-control"})
        )
        self.fields["journey"].queryset = selectors.journey_choices(ctx=ctx)
        self.fields["touchpoint"].queryset = selectors.touchpoint_choices(ctx=ctx)
        self.fields["survey"].queryset = selectors.survey_choices(ctx=ctx)
        self.fields["persona"].queryset = selectors.persona_choices(ctx=ctx)
        empty = [("", "—")]
        self.fields["band"].choices = empty + [(b, BAND_LABELS[b]) for b in NPS_BANDS]
        self.fields["language"].choices = empty + list(settings.LANGUAGES)
        self.fields["segment"].choices = empty + [(s, s) for s in selectors.segment_choices(ctx=ctx)]
        self.fields["channel"].choices = empty + list(Channel.choices)
        self.fields["source"].choices = empty + list(Response.Source.choices)
        for name in ("journey", "touchpoint", "survey", "persona"):
            self.fields[name].empty_label = "—"
        self.fields["touchpoint"].choices = partial(touchpoints_by_journey, self.fields["touchpoint"].queryset)

    def filter_errors(self) -> list[str]:
        """The filters given that could not be applied, in words (shown above the results, never dropped silently)."""
        if not self.is_bound:
            return []
        self.is_valid()
        errors = []
        for name, field_errors in self.errors.items():
            if name in IGNORED_FILTER:
                errors.append(str(IGNORED_FILTER[name]))
                continue
            label = self.fields[name].label if name in self.fields else name
            for error in field_errors:
                errors.append(
                    _("The filter “%(filter)s” was not applied: %(error)s") % {"filter": label, "error": error}
                )
        return errors

    def canonical_query(self) -> str:
        """The filters that validated, as a query string in field order (what a saved filter stores)."""
        self.is_valid()
        d = getattr(self, "cleaned_data", {})
        query = QueryDict(mutable=True)
        for name in self.fields:
            value = d.get(name)
            if value in (None, "", False):
                continue
            if hasattr(value, "pk"):
                value = value.pk
            elif hasattr(value, "isoformat"):
                value = value.isoformat()
            elif value is True:
                value = "on"
            query[name] = str(value)
        return query.urlencode()

    def to_filters(self) -> ResponseFilters:
        # Only fields that validated count: a bad value drops that filter instead of failing the page.
        self.is_valid()
        d = getattr(self, "cleaned_data", {})

        def pk(name: str) -> int | None:
            obj = d.get(name)
            return obj.pk if obj is not None else None

        return ResponseFilters(
            journey_id=pk("journey"),
            touchpoint_id=pk("touchpoint"),
            survey_id=pk("survey"),
            persona_id=pk("persona"),
            date_from=d.get("from"),
            date_to=d.get("to"),
            band=d.get("band") or None,
            language=d.get("language") or None,
            segment=d.get("segment") or None,
            channel=d.get("channel") or None,
            source=d.get("source") or None,
            with_comment=bool(d.get("comment")),
        )


class SavedFilterForm(BootstrapFormMixin, forms.Form):
    """Save the explorer's current filters under a name (POSTed with the filters' query string)."""

    name = forms.CharField(label=_("Name"), max_length=100)
    shared = forms.BooleanField(label=_("Share with the organization"), required=False)
    query = forms.CharField(required=False, widget=forms.HiddenInput, max_length=2000)

    def __init__(self, *args, ctx: OrgContext, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.ctx = ctx
        self.fields["name"].widget.attrs["placeholder"] = _("e.g. Detractors this month")

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Give the filter a name."))
        return name

    @staticmethod
    def query_of(data, *, ctx: OrgContext) -> str:
        """The valid filters of a posted query string (so a failed save goes back to the same list)."""
        return ResponseFilterForm(QueryDict((data.get("query") or "")[:2000]), ctx=ctx).canonical_query()

    def clean_query(self) -> str:
        query = self.query_of(self.cleaned_data, ctx=self.ctx)
        if not query:
            raise forms.ValidationError(_("Choose at least one filter before saving it."))
        return query

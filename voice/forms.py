"""Forms of the voice pages: the insight filters (months, journey, touchpoint, metric), the verbatim explorer's
filters, the theme editor and the decisions on proposed themes.

Filter forms never fail a page: a value that does not validate (another organization's id, a bad month) is not
applied and `filter_errors()` says so in words above the results.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import partial

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from accounts.scoping import OrgContext
from actions.forms import RootCauseChoiceField
from core.forms import BootstrapFormMixin
from surveys.explorer.forms import touchpoints_by_journey
from surveys.ingestion import selectors as survey_selectors
from voice import selectors
from voice.models import LANGUAGES, Language, Sentiment, Theme

METRICS = (("nps", _("NPS")), ("csat", _("CSAT")), ("ces", _("CES")))
DEFAULT_MONTHS_BACK = 3  # the last three full months and this one
LANGUAGE_NAMES = dict(Language.choices)
# Sentence, placeholder-free, per filter that names an object the reader may not see.
IGNORED_FILTER = {
    "journey": _("The journey filter was not applied: that journey does not exist or is not one you can see."),
    "touchpoint": _(
        "The touchpoint filter was not applied: that touchpoint does not exist or its comments are not yours to see."
    ),
    "theme": _("The theme filter was not applied: that theme does not exist."),
}


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    y, m = divmod(month.year * 12 + month.month - 1 + n, 12)
    return dt.date(y, m + 1, 1)


def month_end(month: dt.date) -> dt.date:
    return add_months(month, 1) - dt.timedelta(days=1)


class MonthInput(forms.DateInput):
    """<input type="month">: the browser's month picker; the value is "2026-12"."""

    input_type = "month"

    def format_value(self, value):
        if isinstance(value, dt.date):
            return f"{value.year:04d}-{value.month:02d}"
        return value


class MonthField(forms.DateField):
    """A month as "YYYY-MM" (what <input type="month"> sends), cleaned to its first day."""

    widget = MonthInput

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, dt.date):
            return month_start(value)
        match = re.fullmatch(r"\s*(\d{4})-(\d{1,2})(?:-\d{1,2})?\s*", str(value))
        if match:
            year, month = int(match[1]), int(match[2])
            if 1 <= month <= 12 and 1900 <= year <= 2999:  # room for the month after, and for a period
                return dt.date(year, month, 1)
        raise forms.ValidationError(_("Enter a month as year and month, for example 2026-03."), code="invalid")


class FilterFormMixin:
    """What the explorer and the overview share: errors in words and the applied values only."""

    def filter_errors(self) -> list[str]:
        if not self.is_bound:
            return []
        self.is_valid()
        errors = []
        for name, field_errors in self.errors.items():
            if name in IGNORED_FILTER:
                errors.append(str(IGNORED_FILTER[name]))
                continue
            label = self.fields[name].label if name in self.fields else ""
            for error in field_errors:
                if label:
                    errors.append(
                        _("The filter “%(filter)s” was not applied: %(error)s") % {"filter": label, "error": error}
                    )
                else:
                    errors.append(str(error))
        return errors

    def values(self) -> dict:
        """The fields that validated (a bad value drops only that filter)."""
        self.is_valid()
        return getattr(self, "cleaned_data", {})

    def canonical_query(self) -> str:
        """The filters that validated and were given, as a query string (for links that keep them)."""
        query = QueryDict(mutable=True)
        for name, value in self.values().items():
            if value in (None, "") or name not in self.data:
                continue
            if hasattr(value, "pk"):
                value = value.pk
            elif isinstance(value, dt.date) and isinstance(self.fields[name], MonthField):
                value = f"{value.year:04d}-{value.month:02d}"
            elif isinstance(value, dt.date):
                value = value.isoformat()
            query[name] = str(value)
        return query.urlencode()


def _scope_fields(form: forms.Form, ctx: OrgContext) -> None:
    form.fields["journey"].queryset = survey_selectors.journey_choices(ctx=ctx)
    form.fields["touchpoint"].queryset = survey_selectors.touchpoint_choices(ctx=ctx)
    form.fields["journey"].empty_label = _("All journeys")
    form.fields["touchpoint"].empty_label = "—"
    form.fields["touchpoint"].choices = partial(touchpoints_by_journey, form.fields["touchpoint"].queryset)


class OverviewFilterForm(FilterFormMixin, BootstrapFormMixin, forms.Form):
    """The insight pages' period (whole months), journey, touchpoint and the score the impact is measured on."""

    start = MonthField(label=_("From month"), required=False)
    end = MonthField(label=_("To month"), required=False)
    journey = forms.ModelChoiceField(queryset=None, required=False, label=_("Journey"))
    touchpoint = forms.ModelChoiceField(queryset=None, required=False, label=_("Touchpoint"))
    metric = forms.ChoiceField(choices=METRICS, required=False, label=_("Score"))

    def __init__(self, *args, ctx: OrgContext, today: dt.date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _scope_fields(self, ctx)
        self.today = today
        primary = ctx.organization.primary_metric
        self.default_metric = primary if primary in dict(METRICS) else "nps"
        self.fields["metric"].initial = self.default_metric
        self.fields["start"].initial = add_months(month_start(today), -DEFAULT_MONTHS_BACK)
        self.fields["end"].initial = month_start(today)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", _("The last month comes before the first one."))
        return data

    def period(self) -> tuple[dt.date, dt.date]:
        """The first day of the first month and the last day of the last month."""
        data = self.values()
        start = data.get("start") or self.fields["start"].initial
        end = data.get("end") or self.fields["end"].initial
        if start > end:
            start, end = self.fields["start"].initial, self.fields["end"].initial
        return start, month_end(end)

    def chosen_metric(self) -> str:
        return self.values().get("metric") or self.default_metric


class CommentFilterForm(FilterFormMixin, BootstrapFormMixin, forms.Form):
    """The verbatim explorer's search and filters."""

    q = forms.CharField(label=_("Search the comments"), required=False, max_length=200)
    theme = forms.ModelChoiceField(queryset=None, required=False, label=_("Theme"))
    sentiment = forms.ChoiceField(required=False, label=_("Sentiment"))
    language = forms.ChoiceField(required=False, label=_("Language"))
    journey = forms.ModelChoiceField(queryset=None, required=False, label=_("Journey"))
    touchpoint = forms.ModelChoiceField(queryset=None, required=False, label=_("Touchpoint"))
    score_min = forms.FloatField(label=_("Lowest score"), required=False, min_value=0, max_value=10)
    score_max = forms.FloatField(label=_("Highest score"), required=False, min_value=0, max_value=10)
    segment = forms.ChoiceField(required=False, label=_("Segment"))

    def __init__(self, *args, ctx: OrgContext, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # "from" is a Python keyword: the date fields are added by name.
        self.fields["from"] = forms.DateField(
            required=False, label=_("From"), widget=forms.DateInput(attrs={"type": "date", "class": "form-control"})
        )
        self.fields["to"] = forms.DateField(
            required=False, label=_("To"), widget=forms.DateInput(attrs={"type": "date", "class": "form-control"})
        )
        _scope_fields(self, ctx)
        self.fields["theme"].queryset = selectors.theme_list(ctx=ctx, include_archived=True)  # old links still work
        self.fields["theme"].empty_label = _("All themes")
        self.fields["theme"].label_from_instance = lambda t: f"{t.parent.name} › {t.name}" if t.parent_id else t.name
        empty = [("", "—")]
        self.fields["sentiment"].choices = empty + list(Sentiment.choices)
        self.fields["language"].choices = empty + list(Language.choices)
        self.fields["segment"].choices = empty + [(s, s) for s in survey_selectors.segment_choices(ctx=ctx)]
        self.fields["q"].widget.attrs.update({"type": "search", "autocomplete": "off"})
        for name in ("score_min", "score_max"):
            self.fields[name].widget.attrs.update({"step": "any", "inputmode": "decimal"})

    def clean(self):
        data = super().clean()
        low, high = data.get("score_min"), data.get("score_max")
        if low is not None and high is not None and low > high:
            self.add_error("score_max", _("The highest score is below the lowest one."))
        start, end = data.get("from"), data.get("to")
        if start and end and start > end:
            self.add_error("to", _("The end date comes before the start date."))
        return data

    def search_kwargs(self) -> dict:
        """The keyword arguments of voice.selectors.comment_search for the filters that validated."""
        d = self.values()

        def pk(name: str) -> int | None:
            obj = d.get(name)
            return obj.pk if obj is not None else None

        return {
            "q": (d.get("q") or "").strip(),
            "theme_id": pk("theme"),
            "sentiment": d.get("sentiment") or None,
            "language": d.get("language") or None,
            "touchpoint_id": pk("touchpoint"),
            "journey_id": pk("journey"),
            "score_min": d.get("score_min"),
            "score_max": d.get("score_max"),
            "segment": d.get("segment") or None,
            "start": d.get("from"),
            "end": d.get("to"),
        }


def split_terms(text: str) -> list[str]:
    """Words or phrases separated by commas or new lines, trimmed, without duplicates (case-insensitive)."""
    seen, terms = set(), []
    for part in re.split(r"[,\n\r;]+", text or ""):
        term = " ".join(part.split())
        if term and term.casefold() not in seen:
            seen.add(term.casefold())
            terms.append(term)
    return terms


class ThemeForm(BootstrapFormMixin, forms.Form):
    """A theme or sub-theme: its name and parent, its name, keywords and example phrases per language, a description
    and the root cause a case with this theme is suggested."""

    name = forms.CharField(label=_("Name"), max_length=120)
    parent = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label=_("Parent theme"),
        help_text=_("Leave empty for a main theme; choose one to make this a sub-theme."),
    )
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    LANGUAGE_FIELDS = ("label", "keywords", "examples")

    def __init__(self, *args, ctx: OrgContext, theme: Theme | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.theme = theme
        parents = selectors.theme_list(ctx=ctx).filter(parent__isnull=True)
        if theme is not None:
            parents = parents.exclude(pk=theme.pk)
        self.fields["parent"].queryset = parents
        self.fields["parent"].empty_label = _("None (a main theme)")
        for code in LANGUAGES:
            language = LANGUAGE_NAMES[code]
            self.fields[f"label_{code}"] = forms.CharField(
                label=_("Name in %(language)s") % {"language": language},
                required=False,
                max_length=120,
                widget=forms.TextInput(attrs={"class": "form-control"}),
            )
            self.fields[f"keywords_{code}"] = forms.CharField(
                label=_("Keywords in %(language)s") % {"language": language},
                required=False,
                widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
                help_text=_("Words or phrases, separated by commas or new lines."),
            )
            self.fields[f"examples_{code}"] = forms.CharField(
                label=_("Example phrases in %(language)s") % {"language": language},
                required=False,
                widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
                help_text=_("Whole phrases customers write, one per line."),
            )
        self.fields["root_cause"] = RootCauseChoiceField(
            ctx=ctx, label=_("Suggested root cause"), required=False, empty_label=_("None")
        )
        self.fields["root_cause"].help_text = _("Cases whose comment has this theme are suggested this root cause.")
        if theme is not None and not self.is_bound:
            self.initial.update(
                {
                    "name": theme.name,
                    "parent": theme.parent_id,
                    "description": theme.description,
                    "root_cause": theme.root_cause_id,
                }
            )
            for code in LANGUAGES:
                self.initial[f"label_{code}"] = (theme.labels or {}).get(code, "")
                self.initial[f"keywords_{code}"] = ", ".join((theme.keywords or {}).get(code, []))
                self.initial[f"examples_{code}"] = "\n".join((theme.examples or {}).get(code, []))

    def language_rows(self) -> list[dict]:
        """The per-language fields grouped by language, for the template."""
        return [
            {
                "code": code,
                "name": LANGUAGE_NAMES[code],
                "label": self[f"label_{code}"],
                "keywords": self[f"keywords_{code}"],
                "examples": self[f"examples_{code}"],
            }
            for code in LANGUAGES
        ]

    def clean(self):
        data = super().clean()
        if not any(data.get(f"keywords_{code}") or data.get(f"examples_{code}") for code in LANGUAGES):
            raise forms.ValidationError(
                _("Give at least one keyword or example phrase in one language, or no comment can match the theme."),
                code="no_terms",
            )
        return data

    def service_fields(self) -> dict:
        """Keyword arguments of voice.taxonomy.theme_create / theme_update."""
        d = self.cleaned_data
        labels = {code: d[f"label_{code}"].strip() for code in LANGUAGES if d.get(f"label_{code}", "").strip()}
        keywords = {code: split_terms(d[f"keywords_{code}"]) for code in LANGUAGES}
        examples = {
            code: [" ".join(line.split()) for line in d[f"examples_{code}"].splitlines() if line.strip()]
            for code in LANGUAGES
        }
        return {
            "name": d["name"].strip(),
            "parent": d.get("parent"),
            "labels": labels,
            "keywords": {code: terms for code, terms in keywords.items() if terms},
            "examples": {code: phrases for code, phrases in examples.items() if phrases},
            "description": d.get("description", "").strip(),
            "root_cause": d.get("root_cause"),
        }


class ProposalAcceptForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=_("Name of the new theme"), max_length=120)
    parent = forms.ModelChoiceField(queryset=None, required=False, label=_("Under the theme"))

    def __init__(self, *args, ctx: OrgContext, **kwargs) -> None:
        kwargs.setdefault("auto_id", "accept_%s")
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = selectors.theme_list(ctx=ctx).filter(parent__isnull=True)
        self.fields["parent"].empty_label = _("None (a main theme)")


class ProposalMergeForm(BootstrapFormMixin, forms.Form):
    theme = forms.ModelChoiceField(queryset=None, label=_("Merge into the theme"))

    def __init__(self, *args, ctx: OrgContext, **kwargs) -> None:
        kwargs.setdefault("auto_id", "merge_%s")
        super().__init__(*args, **kwargs)
        self.fields["theme"].queryset = selectors.theme_list(ctx=ctx)
        self.fields["theme"].empty_label = "—"
        self.fields["theme"].label_from_instance = lambda t: f"{t.parent.name} › {t.name}" if t.parent_id else t.name

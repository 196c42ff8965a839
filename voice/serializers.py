"""Serializers of the voice API (voice/api.py): themes, the taxonomy tree, analysed comments, theme statistics,
proposals and runs.

A comment is only ever serialized through its masked text (`CommentAnalysis.masked_text`): the answer's own text
stays in surveys.Answer, out of this API.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from actions.api.cases import NamedRefSerializer
from actions.models import RootCause
from core.api import ModelSerializer, OrgRelatedField, StrictCharField, StrictFloatField
from core.api_params import BIGINT_MAX
from voice import selectors
from voice.models import LANGUAGES, CommentAnalysis, Language, Sentiment, Theme, ThemeProposal, VoiceRun
from voice.stats import add_months

MAX_TERMS = 200  # keywords or example phrases per language
MAX_TERM_LENGTH = 200


def _language_map_schema(value_schema: dict, description: str) -> dict:
    return {
        "type": "object",
        "description": description,
        "properties": {code: value_schema for code in LANGUAGES},
        "additionalProperties": False,
    }


def _unknown_languages(value: dict) -> list[str]:
    return sorted(str(key) for key in value if key not in LANGUAGES)


def _language_error(unknown: list[str]) -> str:
    return _("Unknown language: %(unknown)s. Use %(languages)s.") % {
        "unknown": ", ".join(unknown),
        "languages": ", ".join(LANGUAGES),
    }


def _check_text(text: str, *, max_length: int) -> str:
    if "\x00" in text:
        raise serializers.ValidationError(_("Null characters are not allowed."))
    text = " ".join(text.split())
    if not text:
        raise serializers.ValidationError(_("Empty texts are not allowed."))
    if len(text) > max_length:
        raise serializers.ValidationError(_("Keep each text to at most %(max)s characters.") % {"max": max_length})
    return text


TERMS_ITEM = {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": MAX_TERM_LENGTH}}


@extend_schema_field(
    _language_map_schema(TERMS_ITEM, "Per language (sv, nb, da, en): a list of words or phrases, matched on lemmas.")
)
class TermsField(serializers.JSONField):
    """{language: [term, ...]} for the analysed languages; terms trimmed, duplicates (case-insensitive) dropped."""

    def to_internal_value(self, data):
        data = super().to_internal_value(data)
        if not isinstance(data, dict):
            raise serializers.ValidationError(_("Give an object with a list of texts per language."))
        unknown = _unknown_languages(data)
        if unknown:
            raise serializers.ValidationError(_language_error(unknown))
        cleaned: dict[str, list[str]] = {}
        for code in LANGUAGES:
            terms = data.get(code)
            if terms is None:
                continue
            if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
                raise serializers.ValidationError(
                    _("The value of %(language)s must be a list of texts.") % {"language": code}
                )
            if len(terms) > MAX_TERMS:
                raise serializers.ValidationError(_("Give at most %(max)s texts per language.") % {"max": MAX_TERMS})
            seen, kept = set(), []
            for term in terms:
                term = _check_text(term, max_length=MAX_TERM_LENGTH)
                if term.casefold() not in seen:
                    seen.add(term.casefold())
                    kept.append(term)
            if kept:
                cleaned[code] = kept
        return cleaned


@extend_schema_field(
    _language_map_schema(
        TERMS_ITEM, "Per language (sv, nb, da, en): whole phrases customers write, matched on their lemmas."
    )
)
class ExamplesField(TermsField):
    """{language: [phrase, ...]}: example phrases, cleaned as keywords are."""


@extend_schema_field(
    _language_map_schema(
        {"type": "string", "minLength": 1, "maxLength": 120},
        "The theme's name per language (sv, nb, da, en); `name` is the fallback.",
    )
)
class LabelsField(serializers.JSONField):
    def to_internal_value(self, data):
        data = super().to_internal_value(data)
        if not isinstance(data, dict):
            raise serializers.ValidationError(_("Give an object with a name per language."))
        unknown = _unknown_languages(data)
        if unknown:
            raise serializers.ValidationError(_language_error(unknown))
        if not all(isinstance(v, str) for v in data.values()):
            raise serializers.ValidationError(_("Each name must be a text."))
        return {code: _check_text(data[code], max_length=120) for code in LANGUAGES if code in data}


class ThemeField(serializers.PrimaryKeyRelatedField):
    """A theme id of the caller's organization (through voice.selectors.theme_list)."""

    default_error_messages = {
        "does_not_exist": gettext_lazy("There is no such theme in your organization."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Theme.objects.none())
        super().__init__(**kwargs)

    def get_queryset(self):
        return selectors.theme_list(ctx=self.context["request"].org_ctx)

    def to_internal_value(self, data):
        if isinstance(data, bool):  # DRF would take true as the theme with id 1
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


# -- themes ------------------------------------------------------------------------------------------------------


def check_parent(parent: Theme | None, *, theme: Theme | None = None) -> None:
    """A parent must be an active main theme, not the theme itself; a theme with sub-themes stays a main theme."""
    if parent is None:
        return
    if theme is not None and parent.pk == theme.pk:
        raise serializers.ValidationError(_("A theme cannot be its own parent."))
    if parent.parent_id is not None:
        raise serializers.ValidationError(
            _("“%(name)s” is a sub-theme: choose a main theme as the parent.") % {"name": parent.name}
        )
    if parent.status != Theme.Status.ACTIVE:
        raise serializers.ValidationError(_("“%(name)s” is archived.") % {"name": parent.name})
    if theme is not None and theme.children.exists():
        raise serializers.ValidationError(_("This theme has sub-themes of its own, so it cannot become a sub-theme."))


class ThemeSerializer(ModelSerializer):
    """A theme (parent null) or a sub-theme, with its keywords and example phrases per language."""

    parent = ThemeField(required=False, allow_null=True, help_text="A main theme's id; null for a main theme.")
    labels = LabelsField(required=False)
    keywords = TermsField(required=False)
    examples = ExamplesField(required=False)
    root_cause = OrgRelatedField(
        queryset=RootCause.objects.all(),
        required=False,
        allow_null=True,
        help_text="The root cause suggested to cases whose comment has this theme.",
    )
    # Plain strings: another "status"/"origin" enum component would collide with other apps' ones in the schema.
    status = serializers.CharField(read_only=True, help_text="active or archived (DELETE archives a theme).")
    origin = serializers.CharField(read_only=True, help_text="starter, manual or discovered.")

    class Meta:
        model = Theme
        fields = [
            "id",
            "name",
            "labels",
            "parent",
            "description",
            "keywords",
            "examples",
            "root_cause",
            "status",
            "origin",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        # Uniqueness of names is the service's to check (with the archived themes in mind), not a generic validator.
        validators: list = []

    def validate_name(self, value: str) -> str:
        return _check_text(value, max_length=120)

    def validate(self, attrs: dict) -> dict:
        theme = self.instance
        if "parent" in attrs:
            try:
                check_parent(attrs["parent"], theme=theme)
            except serializers.ValidationError as exc:
                raise serializers.ValidationError({"parent": exc.detail}) from exc
        if "name" in attrs or "parent" in attrs:
            name = attrs.get("name", getattr(theme, "name", ""))
            parent = attrs["parent"] if "parent" in attrs else getattr(theme, "parent", None)
            ctx = self.context["request"].org_ctx
            clash = selectors.theme_list(ctx, include_archived=True).filter(name=name, parent=parent)
            if theme is not None:
                clash = clash.exclude(pk=theme.pk)
            if clash.exists():
                raise serializers.ValidationError(
                    {"name": [_("A theme with this name already exists at this level (perhaps archived).")]}
                )
        if theme is not None and "keywords" not in attrs and "examples" not in attrs:
            return attrs
        keywords = attrs.get("keywords", getattr(theme, "keywords", None) or {})
        examples = attrs.get("examples", getattr(theme, "examples", None) or {})
        if not any(keywords.values()) and not any(examples.values()):
            message = _("Give at least one keyword or example phrase in one language, or no comment can match it.")
            raise serializers.ValidationError({"keywords": [message]})
        return attrs


class ThemeNodeSerializer(serializers.Serializer):
    """A theme of the taxonomy tree."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    labels = LabelsField()
    description = serializers.CharField()
    keywords = TermsField()
    examples = ExamplesField()
    root_cause = serializers.IntegerField(source="root_cause_id", allow_null=True)
    origin = serializers.CharField(help_text="starter, manual or discovered.")


class ThemeTreeSerializer(ThemeNodeSerializer):
    children = ThemeNodeSerializer(source="subthemes", many=True, help_text="The active sub-themes.")


class VoiceRunSerializer(ModelSerializer):
    """A background run (re-tagging after a taxonomy change, or theme discovery) and its progress."""

    kind = serializers.CharField(read_only=True, help_text="retag (after a taxonomy change) or discover.")
    status = serializers.CharField(read_only=True, help_text="queued, running, done or failed.")
    percent = serializers.IntegerField(read_only=True, help_text="Progress from 0 to 100.")

    class Meta:
        model = VoiceRun
        fields = [
            "id",
            "kind",
            "status",
            "total",
            "done",
            "percent",
            "taxonomy_version",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class TaxonomySerializer(serializers.Serializer):
    version = serializers.IntegerField(help_text="Bumped by every change to a theme; comments are re-tagged to it.")
    themes = ThemeTreeSerializer(many=True, help_text="The active main themes with their active sub-themes.")
    last_run = VoiceRunSerializer(allow_null=True, help_text="The latest re-tagging run (null before any).")


# -- comments ----------------------------------------------------------------------------------------------------


class CommentThemeSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="theme_id")
    name = serializers.CharField(source="theme.name")
    parent = serializers.IntegerField(source="theme.parent_id", allow_null=True)
    matched = serializers.ListField(child=serializers.CharField(), help_text="The terms of the theme that matched.")
    sentiment = serializers.FloatField(allow_null=True, help_text="Of the sentences that mention the theme.")


@extend_schema_field(
    {
        "type": "array",
        "description": "The words that drove the sentiment, strongest first: [word, valence] pairs.",
        "items": {"type": "array", "items": {"oneOf": [{"type": "string"}, {"type": "number"}]}},
    }
)
class DriversField(serializers.JSONField):
    pass


class SentenceSerializer(serializers.Serializer):
    text = serializers.CharField(help_text="The sentence, personal data masked.")
    sentiment = serializers.FloatField(allow_null=True)
    label = serializers.CharField(help_text="positive, neutral, mixed or negative.")
    drivers = DriversField()


class CommentSerializer(ModelSerializer):
    """An analysed comment: its text with personal data masked (never the original), language, sentiment, themes."""

    id = serializers.IntegerField(source="pk", read_only=True, help_text="The answer's id.")
    text = serializers.CharField(
        source="masked_text", read_only=True, help_text="The comment with personal data masked."
    )
    language = serializers.CharField(read_only=True, help_text="sv, nb, da, en, other (or empty while pending).")
    sentiment = serializers.FloatField(read_only=True, allow_null=True, help_text="-1 (negative) to 1 (positive).")
    label = serializers.CharField(
        source="sentiment_label", read_only=True, help_text="positive, neutral, mixed or negative."
    )
    status = serializers.CharField(read_only=True, help_text="pending or done.")
    touchpoint = NamedRefSerializer(read_only=True, allow_null=True)
    journey = NamedRefSerializer(read_only=True, allow_null=True)
    themes = serializers.SerializerMethodField(help_text="The themes found in the comment.")
    metric = serializers.CharField(read_only=True, help_text="The score's metric: nps, csat, ces or empty.")

    class Meta:
        model = CommentAnalysis
        fields = [
            "id",
            "response",
            "status",
            "text",
            "has_personal_data",
            "language",
            "sentiment",
            "label",
            "themes",
            "metric",
            "score",
            "touchpoint",
            "journey",
            "submitted_on",
            "taxonomy_version",
        ]
        read_only_fields = fields

    @extend_schema_field(CommentThemeSerializer(many=True))
    def get_themes(self, analysis) -> list:
        # The view reads the page's theme links in one query (voice.selectors.comment_themes).
        links = self.context["theme_links"].get(analysis.pk, [])
        return CommentThemeSerializer(links, many=True).data


class CommentDetailSerializer(CommentSerializer):
    """An analysed comment with its sentences (each with its sentiment and drivers) and its drivers."""

    sentences = SentenceSerializer(many=True, read_only=True)
    drivers = DriversField(read_only=True)

    class Meta(CommentSerializer.Meta):
        fields = [*CommentSerializer.Meta.fields, "sentences", "drivers", "analysed_at"]
        read_only_fields = fields


# -- query parameters --------------------------------------------------------------------------------------------


class FiniteFloatField(StrictFloatField):
    """A number that is one: "nan" and "inf" pass float() and every comparison with a bound."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if math.isnan(value) or math.isinf(value):
            self.fail("invalid")
        return value


class CommentListParams(serializers.Serializer):
    q = serializers.CharField(required=False, max_length=200, help_text="Words to search for in the comments.")
    theme = serializers.IntegerField(
        required=False, min_value=1, max_value=BIGINT_MAX, help_text="A theme id (its sub-themes included)."
    )
    sentiment = serializers.ChoiceField(required=False, choices=Sentiment.values)
    language = serializers.ChoiceField(required=False, choices=Language.values)
    touchpoint = serializers.IntegerField(required=False, min_value=1, max_value=BIGINT_MAX)
    journey = serializers.IntegerField(required=False, min_value=1, max_value=BIGINT_MAX)
    score_min = FiniteFloatField(required=False, min_value=0, max_value=10, help_text="Lowest score, inclusive.")
    score_max = FiniteFloatField(required=False, min_value=0, max_value=10, help_text="Highest score, inclusive.")
    segment = serializers.CharField(required=False, max_length=60, help_text="The customer's segment.")
    start = serializers.DateField(required=False, help_text="First day submitted.")
    end = serializers.DateField(required=False, help_text="Last day submitted, inclusive.")

    def validate(self, attrs: dict) -> dict:
        low, high = attrs.get("score_min"), attrs.get("score_max")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError({"score_max": [_("The highest score is below the lowest one.")]})
        if attrs.get("start") and attrs.get("end") and attrs["start"] > attrs["end"]:
            raise serializers.ValidationError({"end": [_("The end date comes before the start date.")]})
        return attrs


MONTH_OR_DATE = r"^\d{4}-\d{2}(-\d{2})?$"
# Periods stay where month arithmetic (a baseline before, a month after) cannot leave the calendar.
MIN_YEAR, MAX_YEAR = 1900, 2999


@extend_schema_field({"type": "string", "pattern": MONTH_OR_DATE, "example": "2026-03"})
class MonthOrDateField(serializers.CharField):
    """A month (YYYY-MM) or a day (YYYY-MM-DD), as a date; `end_of_month` makes a month its last day."""

    def __init__(self, *, end_of_month: bool = False, **kwargs):
        self.end_of_month = end_of_month
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        match = re.fullmatch(r"(\d{4})-(\d{2})(?:-(\d{2}))?", text)
        try:
            if match is None or not MIN_YEAR <= int(match[1]) <= MAX_YEAR:
                raise ValueError
            year, month = int(match[1]), int(match[2])
            if match[3]:
                return dt.date(year, month, int(match[3]))
            first = dt.date(year, month, 1)
        except ValueError:
            message = _("Use a month (YYYY-MM) or a date (YYYY-MM-DD) from %(min)s to %(max)s.")
            raise serializers.ValidationError(message % {"min": MIN_YEAR, "max": MAX_YEAR}) from None
        return add_months(first, 1) - dt.timedelta(days=1) if self.end_of_month else first


METRICS = ("nps", "csat", "ces")


class StatsParams(serializers.Serializer):
    start = MonthOrDateField(required=False, help_text="First month (YYYY-MM), or a day of it.")
    end = MonthOrDateField(
        required=False,
        end_of_month=True,
        help_text="Last month (YYYY-MM, the whole month), or a day of it; default: this month.",
    )
    touchpoint = serializers.IntegerField(required=False, min_value=1, max_value=BIGINT_MAX)
    journey = serializers.IntegerField(required=False, min_value=1, max_value=BIGINT_MAX)
    metric = serializers.ChoiceField(
        required=False, choices=METRICS, help_text="The score the impact is measured on (default: the primary one)."
    )

    def validate(self, attrs: dict) -> dict:
        if attrs.get("start") and attrs.get("end") and attrs["start"] > attrs["end"]:
            raise serializers.ValidationError({"end": [_("The end comes before the start.")]})
        return attrs


# -- statistics --------------------------------------------------------------------------------------------------


class ValueAtStakeSerializer(serializers.Serializer):
    amount = serializers.FloatField(help_text="Per year, in `currency`, rounded to a whole unit.")
    currency = serializers.CharField()
    nps_gap = serializers.FloatField(help_text="NPS without the theme - NPS with it (0 when it does not lower NPS).")
    uplift = serializers.FloatField(help_text="NPS points the scope would gain: nps_gap x the theme's share.")
    value_per_point = serializers.FloatField(help_text="What one NPS point of the scope is worth per year.")


class ThemeStatSerializer(serializers.Serializer):
    theme = serializers.IntegerField(help_text="The theme's id.")
    name = serializers.CharField()
    parent = serializers.IntegerField(allow_null=True, help_text="The parent theme's id (sub-themes).")
    comments = serializers.IntegerField(help_text="Comments with the theme (or one of its sub-themes).")
    share = serializers.FloatField(allow_null=True, help_text="Share of all analysed comments, 0 to 1.")
    scored = serializers.IntegerField(help_text="Comments with the theme scored on `metric`.")
    scored_without = serializers.IntegerField(help_text="Comments without the theme scored on `metric`.")
    mean_with = serializers.FloatField(allow_null=True, help_text="Mean score of comments with the theme.")
    mean_without = serializers.FloatField(allow_null=True, help_text="Mean score of comments without it.")
    impact = serializers.FloatField(allow_null=True, help_text="mean_with - mean_without.")
    p_value = serializers.FloatField(allow_null=True, help_text="Welch's t test of the difference.")
    significant = serializers.BooleanField(help_text="p < 0.05 with at least 10 scored comments on each side.")
    nps_with = serializers.FloatField(allow_null=True, help_text="NPS points of the comments with the theme.")
    nps_without = serializers.FloatField(allow_null=True, help_text="NPS points of the comments without it.")
    sentiment = serializers.FloatField(allow_null=True, help_text="Mean sentiment about the theme, -1 to 1.")
    negative_share = serializers.FloatField(allow_null=True, help_text="Share of negative comments, 0 to 1.")
    value_at_stake = ValueAtStakeSerializer(
        allow_null=True, help_text="What closing the theme's NPS gap is worth, where the value model has a figure."
    )


def theme_stat_row(row: selectors.ThemeRow, value: selectors.ValueAtStake | None) -> dict:
    """A ThemeRow of voice.selectors.theme_overview (and its value at stake) as ThemeStatSerializer's data."""
    names = [f for f in ThemeStatSerializer._declared_fields if f not in ("theme", "name", "parent", "value_at_stake")]
    return {
        "theme": row.theme.pk,
        "name": row.theme.name,
        "parent": row.theme.parent_id,
        **{name: getattr(row, name) for name in names},
        "value_at_stake": value,
    }


class ThemeTotalsSerializer(serializers.Serializer):
    comments = serializers.IntegerField(help_text="Every analysed comment of the period and scope.")
    scored = serializers.IntegerField(help_text="Those scored on `metric`.")
    mean = serializers.FloatField(allow_null=True, help_text="Their mean score.")
    nps = serializers.FloatField(allow_null=True, help_text="NPS of the comments scored on NPS.")
    sentiment = serializers.FloatField(allow_null=True, help_text="Mean sentiment, -1 to 1.")
    negative_share = serializers.FloatField(allow_null=True)


class ThemeStatsSerializer(serializers.Serializer):
    start = serializers.DateField(help_text="First day of the first month.")
    end = serializers.DateField(help_text="Last day of the last month.")
    metric = serializers.CharField()
    totals = ThemeTotalsSerializer()
    themes = ThemeStatSerializer(many=True)


class TrendPointSerializer(serializers.Serializer):
    month = serializers.DateField(help_text="First day of the month.")
    comments = serializers.IntegerField(help_text="Comments with the theme.")
    total_comments = serializers.IntegerField(help_text="Every analysed comment of the month and scope.")
    share = serializers.FloatField(allow_null=True)
    mean_with = serializers.FloatField(allow_null=True)
    mean_without = serializers.FloatField(allow_null=True)
    impact = serializers.FloatField(allow_null=True)
    nps_with = serializers.FloatField(allow_null=True)
    nps_without = serializers.FloatField(allow_null=True)
    sentiment = serializers.FloatField(allow_null=True)


class EmergingParams(serializers.Serializer):
    month = MonthOrDateField(required=False, help_text="The month (YYYY-MM); default: this month.")
    touchpoint = serializers.IntegerField(required=False, min_value=1, max_value=BIGINT_MAX)
    journey = serializers.IntegerField(required=False, min_value=1, max_value=BIGINT_MAX)


class EmergingThemeSerializer(serializers.Serializer):
    theme = serializers.IntegerField(source="theme.pk", help_text="The theme's id.")
    name = serializers.CharField(source="theme.name")
    parent = serializers.IntegerField(source="theme.parent_id", allow_null=True)
    month = serializers.DateField()
    comments = serializers.IntegerField()
    share = serializers.FloatField(help_text="Share of the month's comments, 0 to 1.")
    baseline_start = serializers.DateField(help_text="First month of the baseline.")
    baseline_comments = serializers.IntegerField()
    baseline_share = serializers.FloatField()
    ratio = serializers.FloatField(allow_null=True, help_text="share / baseline_share (null: new in the month).")
    p_value = serializers.FloatField()


# -- proposals ---------------------------------------------------------------------------------------------------


class ProposalSerializer(ModelSerializer):
    """A theme proposed by discovery from comments no theme covers."""

    language = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True, help_text="proposed, accepted, merged or rejected.")
    terms = serializers.ListField(child=serializers.CharField(), read_only=True, help_text="The top terms.")
    example_ids = serializers.ListField(
        child=serializers.IntegerField(), read_only=True, help_text="Ids of comments that represent the proposal."
    )
    theme = serializers.IntegerField(
        source="theme_id", read_only=True, allow_null=True, help_text="The theme it became or was merged into."
    )
    run = serializers.IntegerField(source="run_id", read_only=True, allow_null=True)

    class Meta:
        model = ThemeProposal
        fields = [
            "id",
            "language",
            "label",
            "terms",
            "example_ids",
            "size",
            "coherence",
            "status",
            "theme",
            "run",
            "created_at",
            "decided_at",
        ]
        read_only_fields = fields


class ProposalExampleSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk", help_text="The comment's id.")
    text = serializers.CharField(source="masked_text", help_text="The comment with personal data masked.")


class ProposalDetailSerializer(ProposalSerializer):
    """A theme proposal with its example comments (masked)."""

    examples = ProposalExampleSerializer(
        source="example_comments", many=True, read_only=True, help_text="Its example comments you may see."
    )

    class Meta(ProposalSerializer.Meta):
        fields = [*ProposalSerializer.Meta.fields, "examples"]
        read_only_fields = fields


class ProposalAcceptSerializer(serializers.Serializer):
    name = StrictCharField(
        max_length=120, help_text="The new theme's name (the suggested label if left out).", required=False
    )
    parent = ThemeField(required=False, allow_null=True, help_text="A main theme, to add the new one as a sub-theme.")

    def validate_name(self, value: str) -> str:
        return _check_text(value, max_length=120)

    def validate_parent(self, value):
        check_parent(value)
        return value


class ProposalMergeSerializer(serializers.Serializer):
    theme = ThemeField(help_text="The theme the proposal's terms are added to.")

    def validate_theme(self, value: Theme) -> Theme:
        if value.status != Theme.Status.ACTIVE:
            raise serializers.ValidationError(_("“%(name)s” is archived.") % {"name": value.name})
        return value

"""API shapes of the perception gap (read-only). Suppressed figures are null, as they are blanks on the page."""

from __future__ import annotations

from rest_framework import serializers

from core.metrics import MeanSummary
from program.perception.stats import MIN_STAFF_ANSWERS, Comparison, staff_figure


class PerceptionItemSerializer(serializers.Serializer):
    touchpoint = serializers.IntegerField(source="touchpoint_id")
    touchpoint_name = serializers.CharField(source="touchpoint.name")
    metric = serializers.CharField(help_text="The customer metric the prediction is compared with (nps, csat, ...).")
    position = serializers.IntegerField()


class PerceptionSurveySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="survey.name")
    survey = serializers.IntegerField(source="survey_id")
    journey = serializers.IntegerField(source="journey_id")
    journey_name = serializers.CharField(source="journey.name")
    audience = serializers.CharField(help_text="leadership or frontline.")
    created_at = serializers.DateTimeField()
    responses = serializers.IntegerField(source="response_count", help_text="Staff responses so far.")
    has_share_link = serializers.BooleanField(help_text="Whether the survey has an active anonymous link.")
    share_url = serializers.CharField(
        allow_null=True,
        help_text="The anonymous link to send to the people asked ('' if revoked). Null unless the caller may edit "
        "the program (admins, CX managers and API keys that may write): anyone with the link can answer the staff "
        "survey.",
    )
    items = PerceptionItemSerializer(many=True, source="items.all")


class MeanFigureSerializer(serializers.Serializer):
    n = serializers.IntegerField()
    mean = serializers.FloatField(allow_null=True, help_text="Null when n is below the minimum (suppressed).")
    margin_of_error = serializers.FloatField(
        allow_null=True, help_text="95 % half-width (Student's t on n - 1 degrees of freedom); null when suppressed."
    )


def predicted_figure(c: Comparison) -> dict:
    return {"n": c.predicted.n, "mean": c.predicted_mean, "margin_of_error": c.predicted_moe}


def actual_figure(c: Comparison) -> dict:
    return {"n": c.actual.n, "mean": c.actual_mean, "margin_of_error": c.actual_moe}


def importance_figure(summary: MeanSummary) -> dict:
    """The staff's importance answers: suppressed below MIN_STAFF_ANSWERS, with a t margin (few answers)."""
    mean, moe = staff_figure(summary)
    return {"n": summary.n, "mean": mean, "margin_of_error": moe}


class GapItemSerializer(serializers.Serializer):
    touchpoint = serializers.IntegerField()
    touchpoint_name = serializers.CharField()
    metric = serializers.CharField()
    scale_low = serializers.IntegerField()
    scale_high = serializers.IntegerField()
    predicted = MeanFigureSerializer()
    actual = MeanFigureSerializer()
    difference = serializers.FloatField(allow_null=True, help_text="predicted - actual, on the scale.")
    gap_share = serializers.FloatField(allow_null=True, help_text="The difference as % of the scale's range.")
    t = serializers.FloatField(allow_null=True, help_text="Welch's t statistic of predicted - actual.")
    df = serializers.FloatField(allow_null=True, help_text="Welch-Satterthwaite degrees of freedom.")
    p_value = serializers.FloatField(allow_null=True)
    significant = serializers.BooleanField(help_text="p < 0.05 (Welch's t test of the two means).")
    kind = serializers.CharField(help_text="blind_spot, hidden_strength, no_clear_gap or insufficient.")
    insufficient_reason = serializers.CharField(help_text="too_few_staff, too_few_customers or ''.")
    importance = MeanFigureSerializer(help_text="The staff's mean answer to 'how important is it?' (1-5).")
    other_predicted = MeanFigureSerializer(
        allow_null=True, help_text="The other audience's prediction (frontline beside leaders), if it was asked."
    )


class ImportanceRowSerializer(serializers.Serializer):
    touchpoint = serializers.IntegerField(source="touchpoint_id")
    leaders_n = serializers.IntegerField(source="leaders.n")
    leaders_mean = serializers.FloatField(allow_null=True)
    leaders_rank = serializers.FloatField(allow_null=True, help_text="1 = most important to the staff asked.")
    analysis_importance = serializers.FloatField(source="analysis", allow_null=True)
    analysis_rank = serializers.FloatField(allow_null=True)
    is_driver = serializers.BooleanField(allow_null=True, help_text="Null: not in the key-driver analysis.")
    flag = serializers.CharField(help_text="overrated, underrated or ''.")


class SpearmanSerializer(serializers.Serializer):
    n = serializers.IntegerField()
    rho = serializers.FloatField(allow_null=True)
    p_value = serializers.FloatField(allow_null=True)


class ImportanceSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="analysed, no_snapshot or unsupported (see reason_code).")
    reason_code = serializers.CharField()
    computed_at = serializers.DateTimeField(allow_null=True)
    spearman = SpearmanSerializer(source="correlation", allow_null=True)
    rows = ImportanceRowSerializer(many=True)


class OtherSurveySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    audience = serializers.CharField()
    responses = serializers.IntegerField()


class GapSerializer(serializers.Serializer):
    perception = serializers.IntegerField()
    audience = serializers.CharField()
    journey = serializers.IntegerField()
    start = serializers.DateField()
    end = serializers.DateField()
    min_n = serializers.IntegerField(help_text="Customer answers needed for a figure (the organization's minimum n).")
    min_staff_answers = serializers.IntegerField()
    responses = serializers.IntegerField()
    last_response_at = serializers.DateTimeField(allow_null=True)
    items = GapItemSerializer(many=True)
    blind_spots = serializers.ListField(
        child=serializers.IntegerField(), help_text="Touchpoint ids, the largest gap first."
    )
    hidden_strengths = serializers.ListField(child=serializers.IntegerField())
    importance = ImportanceSerializer()
    other = OtherSurveySerializer(allow_null=True)


def gap_data(gap) -> dict:
    """The gap as the plain data GapSerializer describes."""
    items = []
    for g in gap.items:
        c = g.comparison
        items.append(
            {
                "touchpoint": g.touchpoint.pk,
                "touchpoint_name": g.touchpoint.name,
                "metric": g.metric,
                "scale_low": g.low,
                "scale_high": g.high,
                "predicted": predicted_figure(c),
                "actual": actual_figure(c),
                "difference": c.difference,
                "gap_share": c.gap_share,
                "t": c.t,
                "df": c.df,
                "p_value": c.p_value,
                "significant": c.significant,
                "kind": c.kind,
                "insufficient_reason": c.insufficient_reason,
                "importance": importance_figure(g.importance),
                "other_predicted": predicted_figure(g.other) if g.other is not None else None,
            }
        )
    other = gap.other
    return {
        "perception": gap.perception.pk,
        "audience": gap.perception.audience,
        "journey": gap.perception.journey_id,
        "start": gap.start,
        "end": gap.end,
        "min_n": gap.min_n,
        "min_staff_answers": MIN_STAFF_ANSWERS,
        "responses": gap.responses,
        "last_response_at": gap.last_response_at,
        "items": items,
        "blind_spots": [g.touchpoint.pk for g in gap.blind_spots],
        "hidden_strengths": [g.touchpoint.pk for g in gap.hidden_strengths],
        "importance": gap.importance,
        "other": (
            {"id": other.pk, "audience": other.audience, "responses": gap.other_responses}
            if other is not None
            else None
        ),
    }

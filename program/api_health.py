"""REST API of the program's health, under /api/v1/program/health/ (routes in program/health_urls.py).

Every role reads it (as the page); an API key acts as a CX manager of its organization. It reads the stored monthly
snapshots through program.health.selectors (this month: assessed on the fly when the nightly run has not stored it
yet), so another organization's health is never reachable: there is no id to guess.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from program.health import presenters, selectors
from program.health.decision import MET, NOT_APPLICABLE, NOT_MET
from program.health.rules import STAGES

STATUSES = [MET, NOT_MET, NOT_APPLICABLE]


class HealthScoresSerializer(serializers.Serializer):
    engagement = serializers.FloatField(
        allow_null=True, help_text="Share (0-1) of the stage's applicable criteria met."
    )
    insight = serializers.FloatField(allow_null=True)
    action = serializers.FloatField(allow_null=True)
    integration = serializers.FloatField(allow_null=True)


class HealthCriterionSerializer(serializers.Serializer):
    code = serializers.CharField()
    stage = serializers.ChoiceField(choices=list(STAGES))
    status = serializers.ChoiceField(choices=STATUSES)
    value = serializers.FloatField(allow_null=True, help_text="A share 0-1, a count or an amount (see threshold).")
    threshold = serializers.FloatField()
    evidence = serializers.DictField(help_text="The figures behind the sentence.")
    title = serializers.CharField()
    sentence = serializers.CharField(help_text="The evidence in a sentence, in the request's language.")
    value_text = serializers.CharField()
    threshold_text = serializers.CharField()
    url = serializers.CharField(allow_blank=True, help_text="The page where it is fixed.")


class HealthStepSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    url = serializers.CharField(allow_blank=True)


class HealthMonthSerializer(serializers.Serializer):
    month = serializers.DateField(help_text="First day of the month; assessed as of its last day (this month: today).")
    stage = serializers.CharField(allow_blank=True, help_text='The stage the program was in ("": all four reached).')
    scores = HealthScoresSerializer()
    statuses = serializers.DictField(
        child=serializers.ChoiceField(choices=STATUSES), help_text="Criterion code -> status."
    )
    computed_at = serializers.DateTimeField()


class HealthSerializer(serializers.Serializer):
    month = serializers.DateField()
    as_of = serializers.DateField()
    stored = serializers.BooleanField(help_text="False: this month is not stored yet and was assessed for this answer.")
    computed_at = serializers.DateTimeField(allow_null=True)
    stage = serializers.CharField(allow_blank=True, help_text='The stage the program is in ("": all four reached).')
    reached = serializers.ListField(
        child=serializers.CharField(), help_text="The stages reached, in order (engagement, insight, action)."
    )
    scores = HealthScoresSerializer()
    blockers = HealthStepSerializer(many=True, help_text="The unmet criteria of the stage the program is in.")
    still_needed = serializers.IntegerField(help_text="How many more of them must be met to reach that stage.")
    next_steps = HealthStepSerializer(many=True, help_text="The three unmet criteria with most effect.")
    criteria = HealthCriterionSerializer(many=True)
    history = HealthMonthSerializer(many=True, help_text="The stored months, oldest first (the last 12).")


def _step(view: dict) -> dict:
    return {"code": view["code"], "title": view["title"], "url": view["url"]}


class HealthView(APIView):
    """The program's health now and month by month."""

    @extend_schema(
        summary="Read the program's health",
        description="The stage the program is in (engagement, insight, action, integration), each criterion with "
        "its evidence, what blocks the next stage, the three next steps, and the stored monthly history.",
        responses=HealthSerializer,
    )
    def get(self, request):
        ctx = request.org_ctx
        history = selectors.health_history(ctx=ctx)
        current = selectors.health_current(ctx=ctx, history=history)
        summary = current["summary"]
        views = {c["code"]: presenters.criterion_view(c) for c in summary["criteria"]}
        data = {
            "month": current["month"],
            "as_of": summary["as_of"],
            "stored": current["stored"],
            "computed_at": current["computed_at"],
            "stage": summary["stage"],
            "reached": summary["reached"],
            "scores": summary["scores"],
            "blockers": [_step(views[code]) for code in summary["blockers"]],
            "still_needed": summary["still_needed"],
            "next_steps": [_step(views[code]) for code in summary["next_steps"]],
            "criteria": list(views.values()),
            "history": [
                {
                    "month": s.month,
                    "stage": s.stage,
                    "scores": s.scores,
                    "statuses": {c["code"]: c["status"] for c in s.criteria},
                    "computed_at": s.computed_at,
                }
                for s in history
            ],
        }
        return Response(HealthSerializer(data).data)

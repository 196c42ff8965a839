"""Alert-rule evaluation: called once per processed response (surveys.signals.response_processed).

Evaluation is idempotent: a response has at most one case (unique index), so a re-sent signal finds the case and
changes nothing. The first matching rule by priority opens the case; the others are named in its first event.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Q, Sum
from django.utils import timezone

from actions.models import AlertRule, FeedbackCase, keyword_pattern
from surveys.models import Response


@dataclass
class ResponseFacts:
    nps: float | None = None
    csat: float | None = None
    comments: list[str] = field(default_factory=list)

    @property
    def has_comment(self) -> bool:
        return any(c.strip() for c in self.comments)


def response_facts(response: Response) -> ResponseFacts:
    """The scores and comments of a response (one query)."""
    facts = ResponseFacts()
    for metric, value, text in response.answers.order_by("pk").values_list("metric", "value", "text"):
        if metric == "nps" and value is not None:
            facts.nps = value if facts.nps is None else min(facts.nps, value)
        elif metric == "csat" and value is not None:
            facts.csat = value if facts.csat is None else min(facts.csat, value)
        if text:
            facts.comments.append(text)
    return facts


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def customer_revenue_12m(*, customer_id: int, as_of: dt.date) -> Decimal:
    """A customer's revenue over the 12 calendar months ending with the month of `as_of` (0 without data)."""
    from value.models import CustomerRevenue

    last = month_start(as_of)
    year, month = (last.year, last.month - 11) if last.month > 11 else (last.year - 1, last.month + 1)
    first = dt.date(year, month, 1)
    total = CustomerRevenue.objects.filter(customer_id=customer_id, month__gte=first, month__lte=last).aggregate(
        total=Sum("amount")
    )["total"]
    return total or Decimal("0")


class _Revenue:
    """Looks the customer's revenue up once, and only if a rule asks for it."""

    def __init__(self, response: Response) -> None:
        self.response = response
        self._value: Decimal | None = None

    def get(self) -> Decimal | None:
        if self.response.customer_id is None:
            return None
        if self._value is None:
            as_of = timezone.localdate(self.response.submitted_at)
            self._value = customer_revenue_12m(customer_id=self.response.customer_id, as_of=as_of)
        return self._value


def rule_matches(rule: AlertRule, facts: ResponseFacts, revenue: _Revenue) -> bool:
    """All conditions set on the rule must hold."""
    if rule.nps_max is not None and (facts.nps is None or facts.nps > rule.nps_max):
        return False
    if rule.csat_max is not None and (facts.csat is None or facts.csat > rule.csat_max):
        return False
    if rule.requires_comment and not facts.has_comment:
        return False
    pattern = keyword_pattern(rule.keyword_list)
    if pattern is not None and not any(pattern.search(c) for c in facts.comments):
        return False
    if rule.min_revenue_12m is not None:
        value = revenue.get()
        if value is None or value <= rule.min_revenue_12m:
            return False
    return True


def alert_rules_evaluate(*, response: Response, now: dt.datetime | None = None) -> FeedbackCase | None:
    """Open the case a processed response calls for (or return the existing one); None when no rule matches.

    Responses submitted longer ago than ACTIONS_MAX_RESPONSE_AGE_DAYS (historical imports) open no case: a call-back
    months later helps nobody and would flood the inbox.
    """
    existing = FeedbackCase.objects.filter(response_id=response.pk).first()
    if existing is not None:
        return existing
    now = now or timezone.now()
    if response.submitted_at < now - dt.timedelta(days=settings.ACTIONS_MAX_RESPONSE_AGE_DAYS):
        return None
    rules = list(
        AlertRule.objects.for_org(response.organization_id)
        .active()
        .filter(Q(touchpoint__isnull=True) | Q(touchpoint_id=response.touchpoint_id))
        .filter(Q(journey__isnull=True) | Q(journey_id=response.journey_id))
        .filter(Q(survey__isnull=True) | Q(survey_id=response.survey_id))
        .order_by("priority", "pk")
    )
    if not rules:
        return None
    facts = response_facts(response)
    revenue = _Revenue(response)
    matched = [rule for rule in rules if rule_matches(rule, facts, revenue)]
    if not matched:
        return None
    from actions.services.cases import case_open

    case, _created = case_open(
        response=response, rule=matched[0], also_matched=matched[1:], nps=facts.nps, csat=facts.csat, now=now
    )
    return case

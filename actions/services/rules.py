"""Alert-rule evaluation: for each processed batch of responses (surveys.signals.responses_processed), in SQL.

`alert_rules_evaluate` is the reference evaluation of one response in Python (`rule_matches`); the batch evaluation
gives the same cases with one query per batch. Evaluation is idempotent: a response has at most one case (unique
index), so a re-sent signal finds the case and changes nothing. The first matching rule by priority opens the case;
the others are named in its first event.

Rules with a condition on the analysed comment (a theme, negative sentiment) are not evaluated here: the drain runs
before the comment is analysed (in the background, by voice). voice.rules evaluates them once the analysis is done,
with `rule_matches` for their other conditions.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from actions.models import AlertRule, FeedbackCase, keyword_pattern
from surveys.models import Answer, Response, Survey

logger = logging.getLogger(__name__)


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


def has_text_condition(rule: AlertRule) -> bool:
    """Whether the rule waits for the comment's analysis (a theme or negative-sentiment condition)."""
    return rule.on_themes or rule.negative_sentiment


# The rules the drain evaluates: those whose every condition is known when the response is processed.
DRAIN_RULES = Q(on_themes=False, negative_sentiment=False)


def rule_matches(rule: AlertRule, facts: ResponseFacts, revenue: _Revenue) -> bool:
    """All conditions set on the rule must hold, except those on the analysed comment (voice.rules checks them)."""
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
    months later helps nobody and would flood the inbox. Nor do answers to employee or leadership surveys.
    """
    existing = FeedbackCase.objects.filter(response_id=response.pk).first()
    if existing is not None:
        return existing
    now = now or timezone.now()
    if response.submitted_at < now - dt.timedelta(days=settings.ACTIONS_MAX_RESPONSE_AGE_DAYS):
        return None
    if not response.survey.is_customer_survey:
        return None  # staff answer employee and leadership surveys: no customer to call back
    rules = list(
        AlertRule.objects.for_org(response.organization_id)
        .active()
        .filter(DRAIN_RULES)
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


# -- batches ------------------------------------------------------------------------------------------------------
#
# The drain follows responses up in batches of thousands; evaluating the rules response by response (a few queries
# each) was most of its time. One query finds the responses of a batch that match a rule, with the same conditions
# as `rule_matches` (the reference; tests hold the two together): the keywords go to the database as the very
# pattern `keyword_pattern` compiles (PostgreSQL's regular expressions read it the same way: lookarounds, \w,
# escaped characters; SQLite runs it through Python's `re`, Django registers REGEXP). Cases are then opened for the
# few matches only, through `case_open`, as for a single response.


@dataclass(frozen=True)
class BatchMatch:
    response_id: int
    rule_ids: list[int]  # every matching rule, the one that opens the case first
    nps: float | None
    csat: float | None


def alert_rules_evaluate_batch(
    *, response_ids: list[int], organization_ids: list[int] | None = None, now: dt.datetime | None = None
) -> list[FeedbackCase]:
    """Open the cases a processed batch of responses calls for; return the cases opened (or found) for it.

    Two queries when no rule matches (the organizations' active rules, the match); none more without any rule.
    Idempotent: responses that have a case are skipped, and `case_open` settles races on the unique index.
    """
    if not response_ids:
        return []
    now = now or timezone.now()
    rules_qs = AlertRule.objects.active().filter(DRAIN_RULES)
    if organization_ids is not None:
        rules_qs = rules_qs.filter(organization_id__in=organization_ids)
    rules = list(rules_qs.order_by("priority", "pk"))
    if not rules:
        return []
    matches = alert_rules_match_batch(response_ids=response_ids, rules=rules, now=now)
    if not matches:
        return []
    from actions.services.cases import case_open

    by_id = {rule.pk: rule for rule in rules}
    responses = Response.objects.select_related("touchpoint", "organization").in_bulk([m.response_id for m in matches])
    cases = []
    for match in matches:
        matched = [by_id[pk] for pk in match.rule_ids]
        case, _created = case_open(
            response=responses[match.response_id],
            rule=matched[0],
            also_matched=matched[1:],
            nps=match.nps,
            csat=match.csat,
            now=now,
        )
        cases.append(case)
    return cases


def alert_rules_match_batch(*, response_ids: list[int], rules: list[AlertRule], now: dt.datetime) -> list[BatchMatch]:
    """The responses of the batch that call for a case (none yet, recent enough, a rule matches), in one query.

    `rules` must be sorted by priority (then pk): a match lists its rules in that order. Rules with a condition on
    the analysed comment are left out (voice.rules evaluates them after the analysis).
    """
    rules = [rule for rule in rules if not has_text_condition(rule)]
    if not response_ids or not rules:
        return []
    collate = _regex_collation()
    if collate is None and any(rule.keyword_list for rule in rules):
        return _match_in_python(response_ids=response_ids, rules=rules, now=now)
    statement, params = _match_sql(response_ids, rules, now, collate=collate or "")
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        rows = cursor.fetchall()
    matches: list[BatchMatch] = []
    for response_id, rule_id, nps, csat in rows:
        if matches and matches[-1].response_id == response_id:
            matches[-1].rule_ids.append(rule_id)
        else:
            matches.append(BatchMatch(response_id=response_id, rule_ids=[rule_id], nps=nps, csat=csat))
    return matches


def _match_in_python(*, response_ids: list[int], rules: list[AlertRule], now: dt.datetime) -> list[BatchMatch]:
    """The reference evaluation, response by response (a database whose regular expressions cannot be trusted)."""
    cutoff = now - dt.timedelta(days=settings.ACTIONS_MAX_RESPONSE_AGE_DAYS)
    org_ids = {rule.organization_id for rule in rules}
    responses = (
        Response.objects.filter(pk__in=response_ids, organization_id__in=org_ids, submitted_at__gte=cutoff)
        .exclude(feedback_case__isnull=False)
        .exclude(survey__kind__in=Survey.INTERNAL_KINDS)
        .order_by("pk")
    )
    matches = []
    for response in responses:
        scoped = [
            rule
            for rule in rules
            if rule.organization_id == response.organization_id
            and rule.touchpoint_id in (None, response.touchpoint_id)
            and rule.journey_id in (None, response.journey_id)
            and rule.survey_id in (None, response.survey_id)
        ]
        if not scoped:
            continue
        facts, revenue = response_facts(response), _Revenue(response)
        matched = [rule.pk for rule in scoped if rule_matches(rule, facts, revenue)]
        if matched:
            matches.append(BatchMatch(response_id=response.pk, rule_ids=matched, nps=facts.nps, csat=facts.csat))
    return matches


_collations: dict[str, str | None] = {}


def _regex_collation() -> str | None:
    """How PostgreSQL's regular expressions get Unicode letters right: '' (the database's own collation does),
    an ICU collation clause, or None (neither: rules with keywords are then evaluated in Python).

    The case-insensitive match and \\w follow the collation's character classes: a database created with the C
    locale knows only ASCII letters, so "UPPSÄGNING" would not match "uppsägning" there. SQLite runs Python's `re`.
    """
    if connection.vendor != "postgresql":
        return ""
    key = f"{connection.alias}:{connection.settings_dict['NAME']}"
    if key not in _collations:
        found = None
        for clause in ("", ' COLLATE "und-x-icu"'):
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(
                        f"SELECT ('XÅÄÖÆØÉ'{clause}) ~* '^xåäöæøé$' AND ('ø'{clause}) ~ '^\\w$' "
                        f"AND NOT (('a-'{clause}) ~ '^\\w\\w$')"
                    )
                    ok = cursor.fetchone()[0]
            except DatabaseError:
                ok = False
            if ok:
                found = clause
                break
        if found is None:
            logger.warning("The database cannot match keywords with Nordic letters; alert rules use Python for them.")
        _collations[key] = found
    return _collations[key]


@cache
def _not_blank_pattern() -> str:
    """A PostgreSQL pattern for "has a character that is not whitespace", whitespace exactly as str.strip() sees it."""
    # Every whitespace character lies in the Basic Multilingual Plane (a test checks the rest of Unicode).
    spaces = "".join(chr(c) for c in range(0x10000) if chr(c).isspace())
    return f"[^{spaces}]"


def _match_sql(response_ids: list[int], rules: list[AlertRule], now: dt.datetime, *, collate: str) -> tuple[str, list]:
    postgres = connection.vendor == "postgresql"
    params: list = []
    rows = []
    for rank, rule in enumerate(rules):
        pattern = keyword_pattern(rule.keyword_list)
        rows.append("(" + ", ".join(f"CAST(%s AS {t})" for t in _RULE_TYPES) + ")")
        params += [
            rule.pk,
            rank,
            rule.organization_id,
            rule.touchpoint_id,
            rule.journey_id,
            rule.survey_id,
            rule.nps_max,
            rule.csat_max,
            int(rule.requires_comment),
            None if pattern is None else (pattern.pattern if postgres else "(?i)" + pattern.pattern),
            None if rule.min_revenue_12m is None else int(rule.min_revenue_12m * 100),
        ]
    ids = sorted(set(response_ids))
    id_params: list  # one array parameter on PostgreSQL, one per placeholder on SQLite
    org_params: list
    if postgres:
        id_filter, id_params = "= ANY(%s)", [ids]
        org_filter, org_params = "= ANY(%s)", [sorted({r.organization_id for r in rules})]
        local_month = "date_trunc('month', b.submitted_at AT TIME ZONE %s)"
        month_params = [timezone.get_current_timezone_name()]
        first = "CAST(f.local_month - interval '11 months' AS date)"
        last = "CAST(f.local_month AS date)"
        not_blank = "a.text ~ %s"
        not_blank_params = [_not_blank_pattern()]
        keyword = f"(a.text{collate}) ~* rules.pattern"
    else:
        id_filter, id_params = f"IN ({', '.join(['%s'] * len(ids))})", ids
        orgs = sorted({r.organization_id for r in rules})
        org_filter, org_params = f"IN ({', '.join(['%s'] * len(orgs))})", orgs
        local_month = "date(django_datetime_cast_date(b.submitted_at, %s, %s), 'start of month')"
        month_params = [timezone.get_current_timezone_name(), connection.timezone_name]
        first = "date(f.local_month, '-11 months')"
        last = "f.local_month"
        not_blank = "a.text REGEXP %s"
        not_blank_params = [r"\S"]
        keyword = "a.text REGEXP rules.pattern"
    cutoff = now - dt.timedelta(days=settings.ACTIONS_MAX_RESPONSE_AGE_DAYS)
    columns = ", ".join(_RULE_COLUMNS)
    response, answer, case, revenue = _tables()
    survey = Survey._meta.db_table
    internal = ", ".join(f"'{kind}'" for kind in sorted(Survey.INTERNAL_KINDS))  # constants of the model
    statement = f"""
WITH rules({columns}) AS (VALUES {", ".join(rows)}),
batch AS (
    SELECT b.id, b.organization_id, b.touchpoint_id, b.journey_id, b.survey_id, b.customer_id,
        {local_month} AS local_month
    FROM {response} b
    WHERE b.id {id_filter} AND b.organization_id {org_filter} AND b.submitted_at >= %s
        AND NOT EXISTS (SELECT 1 FROM {case} c WHERE c.response_id = b.id)
        AND NOT EXISTS (SELECT 1 FROM {survey} s WHERE s.id = b.survey_id AND s.kind IN ({internal}))
),
facts AS (
    SELECT b.id, b.organization_id, b.touchpoint_id, b.journey_id, b.survey_id, b.customer_id, b.local_month,
        MIN(CASE WHEN a.metric = 'nps' THEN a.value END) AS nps,
        MIN(CASE WHEN a.metric = 'csat' THEN a.value END) AS csat,
        MAX(CASE WHEN a.text <> '' AND {not_blank} THEN 1 ELSE 0 END) AS has_comment
    FROM batch b LEFT JOIN {answer} a ON a.response_id = b.id
    GROUP BY b.id, b.organization_id, b.touchpoint_id, b.journey_id, b.survey_id, b.customer_id, b.local_month
)
SELECT f.id, rules.id, f.nps, f.csat
FROM facts f JOIN rules ON rules.organization_id = f.organization_id
WHERE (rules.touchpoint_id IS NULL OR rules.touchpoint_id = f.touchpoint_id)
    AND (rules.journey_id IS NULL OR rules.journey_id = f.journey_id)
    AND (rules.survey_id IS NULL OR rules.survey_id = f.survey_id)
    AND (rules.nps_max IS NULL OR f.nps <= rules.nps_max)
    AND (rules.csat_max IS NULL OR f.csat <= rules.csat_max)
    AND (rules.requires_comment = 0 OR f.has_comment = 1)
    AND (rules.pattern IS NULL OR EXISTS (
        SELECT 1 FROM {answer} a WHERE a.response_id = f.id AND a.text <> '' AND {keyword}))
    AND (rules.min_cents IS NULL OR (f.customer_id IS NOT NULL AND COALESCE((
        SELECT SUM(CAST(ROUND(cr.amount * 100) AS bigint)) FROM {revenue} cr
        WHERE cr.customer_id = f.customer_id AND cr.month >= {first} AND cr.month <= {last}), 0) > rules.min_cents))
ORDER BY f.id, rules.priority_rank
"""  # noqa: S608 (table names from the models, values as parameters)
    params += [*month_params, *id_params, *org_params, connection.ops.adapt_datetimefield_value(cutoff)]
    params += not_blank_params
    return statement, params


# The rule table of the query: (column, SQL type), in the order `_match_sql` fills them.
_RULE_COLUMNS = [
    "id",
    "priority_rank",
    "organization_id",
    "touchpoint_id",
    "journey_id",
    "survey_id",
    "nps_max",
    "csat_max",
    "requires_comment",
    "pattern",
    "min_cents",
]
_RULE_TYPES = [
    "bigint",
    "integer",
    "bigint",
    "bigint",
    "bigint",
    "bigint",
    "integer",
    "integer",
    "integer",
    "text",
    "bigint",
]


def _tables() -> tuple[str, str, str, str]:
    from value.models import CustomerRevenue

    return (
        Response._meta.db_table,
        Answer._meta.db_table,
        FeedbackCase._meta.db_table,
        CustomerRevenue._meta.db_table,
    )

"""Reads of negative synergy, scoped by OrgContext: a customer's touchpoint history and the compound-failure view.

Compound failures, as computed here (the page and the API say the same):
- per response: every identified customer response to a customer survey in the period (of the journey, when one is
  chosen) is put in a bucket by the number of poor experiences the same customer had in the 90 days before it, at
  any touchpoint of any journey (0, 1, 2, 3+); per bucket: responses, NPS of those answered on NPS, the mean score
  on 0-100 (every scale normalised) with its margin of error, and the share of the responses that were poor;
- per customer: each customer with such a response in the period goes in the bucket of their most poor experiences
  within any 90 days of the period, anchored on the day they reached that count (without a poor experience: their
  first response of the period); churned = a churn event on the anchor day or in the 180 days after. The churn rate
  and its 95 % Wilson interval count only customers whose 180 days are over (anchor day + 180 <= today): counting
  the others as "not churned" would lower the rate most where anchors are late, which is the high buckets (one
  needs time to collect three poor experiences). Those still in follow-up are counted apart. Revenue of the
  bucket's customers in the period's months where revenue is known.
Figures of fewer responses (customers) than the organization's minimum n are not shown.

Everything runs on numpy columns (program.synergy.frames): no Python object per response.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.db.models import FloatField, Prefetch, Sum
from django.db.models.functions import Cast
from django.utils import timezone

from accounts.scoping import OrgContext, get_in_org
from core.metrics import MeanSummary, NpsSummary, ShareSummary
from core.scales import metric_label
from customers.models import Customer
from journeys.models import Journey, Touchpoint
from program.synergy import periods, stats
from program.synergy.frames import Experiences, days_ms, experiences, is_poor, metric_rank
from surveys.models import Answer, Response, Survey
from value.models import ChurnEvent, CustomerRevenue

# -- compound failures -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResponseBucket:
    bucket: int
    n: int
    nps: NpsSummary
    score: MeanSummary  # the primary score normalised to 0-100
    poor: ShareSummary
    min_n: int

    @property
    def label(self) -> str:
        return stats.bucket_label(self.bucket)

    @property
    def sufficient(self) -> bool:
        return self.n >= max(self.min_n, 1)

    @property
    def nps_sufficient(self) -> bool:
        return self.nps.n >= max(self.min_n, 1)


@dataclass(frozen=True)
class CustomerBucket:
    bucket: int
    customers: int  # every customer of the bucket
    followed_up: int  # of them, those whose 180 days after the anchor are over: the churn rate's denominator
    churned: int  # of those followed up, the churned ones
    revenue: float | None  # of every customer of the bucket
    churned_revenue: float | None  # of the churned ones counted in `churned`
    min_n: int

    @property
    def label(self) -> str:
        return stats.bucket_label(self.bucket)

    @property
    def follow_up_open(self) -> int:
        """Customers whose 180 days are not over yet: left out of the churn rate."""
        return self.customers - self.followed_up

    @property
    def sufficient(self) -> bool:
        """Enough customers for the bucket's revenue."""
        return self.customers >= max(self.min_n, 1)

    @property
    def churn_sufficient(self) -> bool:
        """Enough customers with a complete follow-up for a churn rate."""
        return self.followed_up >= max(self.min_n, 1)

    @property
    def churn_rate(self) -> float | None:
        return self.churned / self.followed_up if self.followed_up else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return stats.wilson_interval(self.churned, self.followed_up)


@dataclass
class CompoundFailures:
    start: dt.date
    end: dt.date
    journey: Journey | None
    min_n: int
    currency: str
    by_response: list[ResponseBucket] = field(default_factory=list)
    by_customer: list[CustomerBucket] = field(default_factory=list)
    has_revenue: bool = False

    @property
    def responses(self) -> int:
        return sum(b.n for b in self.by_response)

    @property
    def customers(self) -> int:
        return sum(b.customers for b in self.by_customer)

    @property
    def follow_up_open(self) -> int:
        return sum(b.follow_up_open for b in self.by_customer)


def journey_get(*, ctx: OrgContext, pk: int) -> Journey:
    return get_in_org(Journey.objects.all(), ctx, pk=pk)


def journey_choices(*, ctx: OrgContext):
    return Journey.objects.for_org(ctx.organization).order_by("name", "pk")


def _bounds(ctx: OrgContext, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = ctx.organization.zone
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=tz),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    )


def _ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def _response_buckets(rows: Experiences, chosen: np.ndarray, buckets: np.ndarray, min_n: int) -> list[ResponseBucket]:
    """`buckets`: the bucket of each chosen row. Counts and sums per bucket in one pass each (bincount)."""
    size = len(stats.BUCKETS)

    def per_bucket(mask: np.ndarray | None = None, weights: np.ndarray | None = None) -> np.ndarray:
        keys, w = (buckets, weights) if mask is None else (buckets[mask], None if weights is None else weights[mask])
        return np.bincount(keys, weights=w, minlength=size)

    value, normalised, poor = rows.value[chosen], rows.normalised[chosen], rows.poor[chosen]
    nps = rows.is_nps[chosen]
    n, hits = per_bucket(), per_bucket(poor)
    total, total_sq = per_bucket(weights=normalised), per_bucket(weights=normalised * normalised)
    answered, promoters = per_bucket(nps), per_bucket(nps & (value >= 9))
    detractors = per_bucket(nps & (value < 7))
    return [
        ResponseBucket(
            bucket=b,
            n=int(n[b]),
            nps=NpsSummary(
                n=int(answered[b]),
                promoters=int(promoters[b]),
                passives=int(answered[b] - promoters[b] - detractors[b]),
                detractors=int(detractors[b]),
            ),
            score=MeanSummary(n=int(n[b]), total=float(total[b]), total_sq=float(total_sq[b])),
            poor=ShareSummary(n=int(n[b]), hits=int(hits[b])),
            min_n=min_n,
        )
        for b in stats.BUCKETS
    ]


@dataclass(frozen=True)
class Anchors:
    """Per customer (ascending ids): their most poor experiences within any 90 days of the period and when they
    first reached it (without a poor experience: their first response of the period)."""

    customer_id: np.ndarray
    most: np.ndarray
    anchor_ms: np.ndarray


def _customer_anchors(
    customers: np.ndarray, codes: np.ndarray, rows: Experiences, period: np.ndarray, counted: np.ndarray
) -> Anchors:
    """Over the rows of `period` (in time order per customer, so the first row reaching the maximum is the anchor);
    `customers` and `codes` as Experiences.customers(); `counted`: per customer, whether they are in the view (every
    counted customer has a row in the period)."""
    codes, t_ms = codes[period], rows.t_ms[period]
    within = stats.poor_counts_within(codes, t_ms, rows.poor[period], window=days_ms(stats.WINDOW_DAYS))
    most = np.zeros(customers.size, dtype=np.int64)
    np.maximum.at(most, codes, within)
    reached = within == most[codes]  # every customer reaches their maximum at least once
    anchor = np.full(customers.size, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(anchor, codes[reached], t_ms[reached])
    return Anchors(customer_id=customers[counted], most=most[counted], anchor_ms=anchor[counted])


def _local_days(ms: np.ndarray, zone) -> np.ndarray:
    local = pd.to_datetime(ms, unit="ms", utc=True).tz_convert(zone).tz_localize(None)
    return local.to_numpy().astype("datetime64[D]")


def _lookup(keys: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(position in the sorted `keys`, found) of each wanted key."""
    pos = np.searchsorted(keys, wanted)
    pos = np.minimum(pos, max(keys.size - 1, 0))
    found = keys[pos] == wanted if keys.size else np.zeros(wanted.size, dtype=bool)
    return pos, found


def _customer_buckets(
    ctx: OrgContext, anchors: Anchors, start: dt.date, end: dt.date, min_n: int
) -> tuple[list[CustomerBucket], bool]:
    org = ctx.organization
    day = _local_days(anchors.anchor_ms, org.zone)
    horizon = np.timedelta64(stats.CHURN_DAYS, "D")
    events = list(
        ChurnEvent.objects.for_org(org)
        .filter(date__gte=start, date__lte=end + dt.timedelta(days=stats.CHURN_DAYS))
        .order_by()
        .values_list("customer_id", "date")
    )
    churned = np.zeros(anchors.customer_id.size, dtype=bool)
    if events:
        event_customers = np.array([e[0] for e in events], dtype=np.int64)
        event_days = np.array([e[1] for e in events], dtype="datetime64[D]")
        pos, found = _lookup(anchors.customer_id, event_customers)
        hit = found & (event_days >= day[pos]) & (event_days <= day[pos] + horizon)
        churned[pos[hit]] = True
    today = np.datetime64(timezone.localdate(timezone=org.zone), "D")
    complete = day + horizon <= today
    revenue_rows = list(
        CustomerRevenue.objects.for_org(org)
        .filter(month__gte=start.replace(day=1), month__lte=end)
        .values("customer_id")
        .annotate(total=Sum(Cast("amount", FloatField())))
        .values_list("customer_id", "total")
    )
    has_revenue = bool(revenue_rows)
    revenue = np.zeros(anchors.customer_id.size, dtype=np.float64)
    if revenue_rows:
        pos, found = _lookup(anchors.customer_id, np.array([r[0] for r in revenue_rows], dtype=np.int64))
        revenue[pos[found]] = np.array([r[1] or 0.0 for r in revenue_rows], dtype=np.float64)[found]
    buckets = stats.buckets_of(anchors.most)
    counted = churned & complete
    out = []
    for bucket in stats.BUCKETS:
        mask = buckets == bucket
        out.append(
            CustomerBucket(
                bucket=bucket,
                customers=int(mask.sum()),
                followed_up=int((mask & complete).sum()),
                churned=int((mask & counted).sum()),
                revenue=float(revenue[mask].sum()) if has_revenue else None,
                churned_revenue=float(revenue[mask & counted].sum()) if has_revenue else None,
                min_n=min_n,
            )
        )
    return out, has_revenue


def compound_failures(
    *, ctx: OrgContext, start: dt.date, end: dt.date, journey_id: int | None = None
) -> CompoundFailures:
    """Scores and churn by the number of poor experiences in 90 days (see the module docstring). The period must
    be one program.synergy.periods allows (the form and the API check it; ValueError otherwise)."""
    org = ctx.organization
    # A day of slack: the caller's "today" may be in another time zone than the organization's.
    periods.check_period(start, end, timezone.localdate(timezone=org.zone) + dt.timedelta(days=1))
    journey = journey_get(ctx=ctx, pk=journey_id) if journey_id is not None else None
    result = CompoundFailures(start=start, end=end, journey=journey, min_n=org.min_n, currency=org.currency)
    since, until = _bounds(ctx, start, end)
    window = dt.timedelta(days=stats.WINDOW_DAYS)
    rows = experiences(org, since=since - window, until=until, journeys=journey is not None)
    customers, codes = rows.customers()
    in_period = rows.t_ms >= _ms(since)
    before = stats.poor_counts_before(codes, rows.t_ms, rows.poor, window=days_ms(stats.WINDOW_DAYS))
    chosen = in_period & (rows.journey_id == journey.pk) if journey is not None else in_period
    result.by_response = _response_buckets(rows, chosen, stats.buckets_of(before[chosen]), org.min_n)
    # Per customer: the period's responses (of any journey) of the customers with a chosen response.
    counted = np.zeros(customers.size, dtype=bool)
    counted[codes[chosen]] = True
    anchors = _customer_anchors(customers, codes, rows, in_period & counted[codes], counted)
    result.by_customer, result.has_revenue = _customer_buckets(ctx, anchors, start, end, org.min_n)
    return result


# -- a customer's touchpoint history -----------------------------------------------------------------------------


@dataclass
class Experience:
    response: Response
    touchpoint: Touchpoint | None
    journey: Journey | None
    local_time: dt.datetime
    metric: str
    score: float | None
    poor: bool
    case: object | None = None  # the feedback case opened from it, if the viewer may see it
    streak: int = 0  # position in a run of poor experiences (1, 2, 3...), 0 outside a run

    @property
    def date(self) -> dt.date:
        return self.local_time.date()

    @property
    def metric_label(self) -> str:
        return metric_label(self.metric) if self.metric else ""


@dataclass(frozen=True)
class StreakSpan:
    length: int
    first: dt.date
    last: dt.date


@dataclass
class TouchpointHistory:
    customer: Customer
    experiences: list[Experience]
    streaks: list[StreakSpan]
    most_in_90_days: int
    most_first: dt.date | None
    most_last: dt.date | None

    @property
    def poor(self) -> int:
        return sum(1 for e in self.experiences if e.poor)

    @property
    def journeys(self) -> int:
        return len({e.journey.pk for e in self.experiences if e.journey is not None})

    @property
    def longest_streak(self) -> int:
        return max((s.length for s in self.streaks), default=1 if self.poor else 0)


def _primary(answers: list[Answer]) -> tuple[str, float | None, bool]:
    """(metric, score, poor) of a response: its primary score (nps > csat > ces > rating, lowest answer id)."""
    best = None
    for a in answers:
        if a.value is None:
            continue
        ranked = metric_rank(a.metric)
        if ranked is not None and (best is None or (ranked[0], a.pk) < best[0]):
            best = ((ranked[0], a.pk), a.metric, a.value, ranked[1])
    if best is None:
        return "", None, False
    _key, metric, value, scale = best
    return metric, value, is_poor(scale, value)


def customer_touchpoint_history(*, ctx: OrgContext, customer: Customer) -> TouchpointHistory:
    """The customer's responses to customer surveys in date order (organization time zone) with their primary
    score, streaks of poor experiences and the most within any 90 days; the cases opened from them that the viewer
    may see (a frontline user: their teams' cases only). A fixed number of queries."""
    from actions.selectors.cases import customer_cases

    org = ctx.organization
    responses = list(
        Response.objects.for_org(org)
        .filter(customer=customer)
        .exclude(survey__kind__in=Survey.INTERNAL_KINDS)
        .select_related("touchpoint", "journey")
        .prefetch_related(
            Prefetch(
                "answers",
                queryset=Answer.objects.exclude(metric="").filter(value__isnull=False).order_by("pk"),
                to_attr="score_answers",
            )
        )
        .order_by("submitted_at", "pk")
    )
    cases = {c.response_id: c for c in customer_cases(ctx=ctx, customer=customer)}
    experiences = []
    for r in responses:
        metric, score, poor = _primary(r.score_answers)
        experiences.append(
            Experience(
                response=r,
                touchpoint=r.touchpoint,
                journey=r.journey,
                local_time=timezone.localtime(r.submitted_at, org.zone),
                metric=metric,
                score=score,
                poor=poor,
                case=cases.get(r.pk),
            )
        )
    # Only scored experiences count for runs: an unscored response neither breaks nor extends a run.
    scored = [e for e in experiences if e.score is not None]
    spans = []
    for streak in stats.poor_streaks([e.poor for e in scored]):
        for i in range(streak.start, streak.end + 1):
            scored[i].streak = i - streak.start + 1
        spans.append(StreakSpan(length=streak.length, first=scored[streak.start].date, last=scored[streak.end].date))
    poor_ms = [_ms(e.response.submitted_at) for e in scored if e.poor]
    most, first, last = stats.most_within(poor_ms, window=days_ms(stats.WINDOW_DAYS))
    by_ms = {_ms(e.response.submitted_at): e.date for e in scored if e.poor}
    return TouchpointHistory(
        customer=customer,
        experiences=experiences,
        streaks=spans,
        most_in_90_days=most,
        most_first=by_ms.get(first) if first is not None else None,
        most_last=by_ms.get(last) if last is not None else None,
    )

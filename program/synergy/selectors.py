"""Reads of negative synergy, scoped by OrgContext: a customer's touchpoint history and the compound-failure view.

Compound failures, as computed here (the page and the API say the same):
- per response: every identified customer response to a customer survey in the period (of the journey, when one is
  chosen) is put in a bucket by the number of poor experiences the same customer had in the 90 days before it, at
  any touchpoint of any journey (0, 1, 2, 3+); per bucket: responses, NPS of those answered on NPS, the mean score
  on 0-100 (every scale normalised) with its margin of error, and the share of the responses that were poor;
- per customer: each customer with such a response in the period goes in the bucket of their most poor experiences
  within any 90 days of the period; churned = a churn event on the day they reached that count (for customers
  without a poor experience: their first response of the period) or in the 180 days after. Churn rate with a 95 %
  Wilson interval; revenue of the bucket's customers in the period's months where revenue is known.
Figures of fewer responses (customers) than the organization's minimum n are not shown.
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
from core.scales import metric_label
from customers.models import Customer
from journeys.models import Journey, Touchpoint
from kpis.metrics import MeanSummary, NpsSummary, ShareSummary
from program.synergy import stats
from program.synergy.frames import codes_of, days_ms, experience_frame, is_poor, metric_rank
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
    customers: int
    churned: int
    follow_up_open: int  # customers whose 180 days after are not over yet
    revenue: float | None
    churned_revenue: float | None
    min_n: int

    @property
    def label(self) -> str:
        return stats.bucket_label(self.bucket)

    @property
    def sufficient(self) -> bool:
        return self.customers >= max(self.min_n, 1)

    @property
    def churn_rate(self) -> float | None:
        return self.churned / self.customers if self.customers else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return stats.wilson_interval(self.churned, self.customers)


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


def _response_buckets(rows: pd.DataFrame, min_n: int) -> list[ResponseBucket]:
    out = []
    for bucket in stats.BUCKETS:
        part = rows[rows["bucket"] == bucket]
        nps_values = part.loc[part["is_nps"], "value"]
        score = part["normalised"]
        out.append(
            ResponseBucket(
                bucket=bucket,
                n=len(part),
                nps=NpsSummary(
                    n=len(nps_values),
                    promoters=int((nps_values >= 9).sum()),
                    passives=int(((nps_values >= 7) & (nps_values < 9)).sum()),
                    detractors=int((nps_values < 7).sum()),
                ),
                score=MeanSummary(n=len(score), total=float(score.sum()), total_sq=float((score**2).sum())),
                poor=ShareSummary(n=len(part), hits=int(part["poor"].sum())),
                min_n=min_n,
            )
        )
    return out


def _customer_anchors(window: pd.DataFrame) -> pd.DataFrame:
    """Per customer: `most` (poor experiences within any 90 days of the period) and `anchor_ms` (when they first
    reached it; without a poor experience, their first response of the period)."""
    within = stats.poor_counts_within(
        codes_of(window["customer_id"]), window["t_ms"].to_numpy(), window["poor"].to_numpy(), window=days_ms(90)
    )
    frame = pd.DataFrame({"customer_id": window["customer_id"].to_numpy(), "t_ms": window["t_ms"].to_numpy()})
    frame["within"] = within
    most = frame.groupby("customer_id")["within"].transform("max")
    reached = frame[frame["within"] == most]
    anchors = reached.groupby("customer_id").agg(most=("within", "first"), anchor_ms=("t_ms", "min"))
    return anchors.reset_index()


def _local_days(ms: pd.Series, zone) -> np.ndarray:
    local = pd.to_datetime(ms, unit="ms", utc=True).dt.tz_convert(zone).dt.tz_localize(None)
    return local.to_numpy().astype("datetime64[D]")


def _customer_buckets(
    ctx: OrgContext, anchors: pd.DataFrame, start: dt.date, end: dt.date, min_n: int
) -> tuple[list[CustomerBucket], bool]:
    org = ctx.organization
    anchors = anchors.copy()
    anchors["day"] = _local_days(anchors["anchor_ms"], org.zone)
    churn = pd.DataFrame.from_records(
        list(
            ChurnEvent.objects.for_org(org)
            .filter(date__gte=start, date__lte=end + dt.timedelta(days=stats.CHURN_DAYS))
            .values_list("customer_id", "date")
        ),
        columns=["customer_id", "date"],
    )
    churn["date"] = pd.to_datetime(churn["date"]).to_numpy().astype("datetime64[D]")
    joined = anchors[["customer_id", "day"]].merge(churn, on="customer_id")
    horizon = np.timedelta64(stats.CHURN_DAYS, "D")
    hit = joined[(joined["date"] >= joined["day"]) & (joined["date"] <= joined["day"] + horizon)]
    anchors["churned"] = anchors["customer_id"].isin(hit["customer_id"])
    today = np.datetime64(timezone.localdate(timezone=org.zone), "D")
    anchors["open"] = anchors["day"] + horizon > today
    revenue_rows = list(
        CustomerRevenue.objects.for_org(org)
        .filter(month__gte=start.replace(day=1), month__lte=end)
        .values("customer_id")
        .annotate(total=Sum(Cast("amount", FloatField())))
        .values_list("customer_id", "total")
    )
    has_revenue = bool(revenue_rows)
    revenue = dict(revenue_rows)
    anchors["revenue"] = anchors["customer_id"].map(revenue).fillna(0.0).astype(float)
    anchors["bucket"] = stats.buckets_of(anchors["most"].to_numpy())
    out = []
    for bucket in stats.BUCKETS:
        part = anchors[anchors["bucket"] == bucket]
        out.append(
            CustomerBucket(
                bucket=bucket,
                customers=len(part),
                churned=int(part["churned"].sum()),
                follow_up_open=int(part["open"].sum()),
                revenue=float(part["revenue"].sum()) if has_revenue else None,
                churned_revenue=float(part.loc[part["churned"], "revenue"].sum()) if has_revenue else None,
                min_n=min_n,
            )
        )
    return out, has_revenue


def compound_failures(
    *, ctx: OrgContext, start: dt.date, end: dt.date, journey_id: int | None = None
) -> CompoundFailures:
    """Scores and churn by the number of poor experiences in 90 days (see the module docstring)."""
    org = ctx.organization
    journey = journey_get(ctx=ctx, pk=journey_id) if journey_id is not None else None
    result = CompoundFailures(start=start, end=end, journey=journey, min_n=org.min_n, currency=org.currency)
    since, until = _bounds(ctx, start, end)
    window = dt.timedelta(days=stats.WINDOW_DAYS)
    frame = experience_frame(org, since=since - window, until=until)
    in_period = (frame["t_ms"] >= _ms(since)).to_numpy()
    before = stats.poor_counts_before(
        codes_of(frame["customer_id"]), frame["t_ms"].to_numpy(), frame["poor"].to_numpy(), window=days_ms(90)
    )
    chosen = in_period.copy()
    if journey is not None:
        chosen &= (frame["journey_id"] == journey.pk).fillna(False).to_numpy(dtype=bool)
    rows = frame.loc[chosen, ["customer_id", "is_nps", "value", "normalised", "poor"]].assign(
        bucket=stats.buckets_of(before[chosen])
    )
    result.by_response = _response_buckets(rows, org.min_n)
    customers = rows["customer_id"].unique()
    period = frame[in_period & frame["customer_id"].isin(customers).to_numpy()]
    anchors = _customer_anchors(period)
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
        ranked = metric_rank(a.metric) if a.value is not None else None
        if ranked is not None and (best is None or (ranked[0], a.pk) < best[0]):
            best = ((ranked[0], a.pk), a, ranked[1])
    if best is None:
        return "", None, False
    _key, answer, scale = best
    return answer.metric, answer.value, is_poor(scale, answer.value)


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

"""The value page of a CSAT-only organization (no NPS question at all): bands, revenue at risk, value per CSAT point
and the churn figures, each equal to a pandas recomputation of the same customer-level data."""

from __future__ import annotations

import datetime as dt
import math
import re

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from django.urls import reverse
from django.utils import formats

from core.money import format_money
from core.numbers import format_number
from tests.value.builders import AS_OF, csat_org
from value.models import ValueSnapshot
from value.services import value_model_run

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

URL = reverse("value:dashboard")
WINDOW_START = dt.date(2024, 12, 1)  # 24 calendar months ending with AS_OF's month


def text_of(page: str, name: str) -> str:
    match = re.search(rf'data-testid="{name}"[^>]*>(.*?)</(td|p|span|div|th)>', page, re.S)
    assert match, name
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def money(value: float) -> str:
    return f"{format_number(value, 0, grouping=True)}\u00a0SEK"


def pct(share: float) -> str:
    return f"{format_number(100 * share, 1)}\u00a0%"


def customer_frame(built, answers: pd.DataFrame) -> pd.DataFrame:
    """Per customer: mean score and first date of `answers`, monthly revenue, churned and years followed."""
    per = answers.groupby("customer_id").agg(score=("score", "mean"), first=("date", "min")).reset_index()
    monthly = built.revenue.groupby("customer_id")["amount"].mean().rename("monthly").reset_index()
    frame = per.merge(monthly, on="customer_id").merge(built.customers[["customer_id", "segment"]], on="customer_id")
    left = dict(zip(built.churn["customer_id"], built.churn["date"], strict=True))
    frame["left"] = frame["customer_id"].map(left)
    frame["churned"] = frame["left"].notna().astype(int)
    stop = frame["left"].where(frame["left"].notna(), built.as_of)
    days = np.array([(s - f).days for s, f in zip(stop, frame["first"], strict=True)], dtype=float)
    frame["years"] = np.maximum(days / 365.25, 0.5 / 365.25)
    frame["band"] = np.select([frame["score"] >= 4, frame["score"] <= 2], ["good", "bad"], "neutral")
    return frame


def band_truth(frame: pd.DataFrame) -> dict:
    out = {}
    for band, group in frame.groupby("band"):
        rate = group["churned"].sum() / group["years"].sum()
        active = group[group["churned"] == 0]
        out[band] = {
            "n": len(group),
            "monthly": group["monthly"].mean(),
            "annual_churn": 1 - math.exp(-rate),
            "active_revenue": active["monthly"].sum() * 12,
        }
    return out


def value_truth(built, frame: pd.DataFrame, measure: str) -> float:
    """The value of one point at the touchpoint: Poisson churn model refitted here with statsmodels."""
    x = frame["score"].astype(float) if measure == "mean" else (frame["score"] >= 4).astype(float)
    design = pd.DataFrame({"const": 1.0, "x": x, "segment_Business": (frame["segment"] == "Business").astype(float)})
    fit = sm.GLM(
        frame["churned"].astype(float),
        design,
        family=sm.families.Poisson(),
        offset=np.log(frame["years"]),
    ).fit(cov_type="HC0")
    rate = frame["churned"].sum() / frame["years"].sum()
    per_year = int((pd.to_datetime(frame["first"]) > pd.Timestamp(built.as_of) - pd.Timedelta(days=365)).sum())
    units = 1.0 if measure == "mean" else 0.01
    return -fit.params["x"] * rate * per_year * units * frame["monthly"].mean() * 12


@pytest.mark.parametrize(
    ("measure", "unit"),
    [("mean", "CSAT point"), ("top_box", "percentage point of top-2-box")],
)
def test_a_csat_only_organization_sees_bands_revenue_at_risk_and_value_per_csat_point(
    client_for, cast_a, measure, unit
):
    built = csat_org(cast_a.org, measure=measure)
    snapshot = value_model_run(organization=cast_a.org, as_of=AS_OF)
    assert snapshot.status == ValueSnapshot.Status.DONE
    assert (snapshot.parameters["metric"], snapshot.parameters["measure"]) == ("csat", measure)
    page = client_for(cast_a.executive).get(URL).content.decode()
    assert "NPS" not in re.sub(r"<script.*?</script>", "", page, flags=re.S)

    frame = customer_frame(built, built.answers)
    truth = band_truth(frame)
    table = page.split('data-testid="category-table"', 1)[1].split("</table>", 1)[0]
    labels = {"good": "Top-2-box (4–5)", "neutral": "Middle (3)", "bad": "Bottom-2-box (1–2)"}
    for band, label in labels.items():
        part = table.split(f'data-category="{band}"', 1)[1]
        assert text_of(part, "band-label") == label
        assert text_of(part, "n") == format_number(truth[band]["n"], 0, grouping=True)
        assert text_of(part, "revenue") == money(truth[band]["monthly"])
        assert text_of(part, "churn").startswith(pct(truth[band]["annual_churn"]))
    # The planted effect: the bottom-2-box churns more, and what that costs is claimed with the pandas figure.
    excess = truth["bad"]["annual_churn"] - truth["good"]["annual_churn"]
    at_risk = snapshot.results["revenue_at_risk"]
    assert at_risk["supported"] is True
    assert at_risk["amount"] == pytest.approx(truth["bad"]["active_revenue"] * excess, rel=1e-9)
    amount = format_money(truth["bad"]["active_revenue"] * excess, "SEK", compact=True)
    assert text_of(page, "revenue-at-risk") == f"{amount} a year"
    assert "Bottom-2-box (1–2)" in text_of(page, "revenue-at-risk-method")

    visit = built.touchpoints["visit"]
    expected = value_truth(
        built, customer_frame(built, built.answers[built.answers["touchpoint_id"] == visit.pk]), measure
    )
    row = next(r for r in snapshot.results["touchpoints"] if r["touchpoint_id"] == visit.pk)
    assert row["supported"] is True and row["value_per_point"] == pytest.approx(expected, rel=1e-6)
    assert f"What one {unit} is worth, per touchpoint" in page
    assert f"Value of 1 {unit} a year" in page
    cell = page.split(f'data-touchpoint-id="{visit.pk}"', 1)[1]
    assert text_of(cell, "value-per-point").startswith(money(expected))
    method = text_of(page, "value-method")
    assert ("mean CSAT score" in method) == (measure == "mean")
    assert ("good band (Top-2-box (4–5))" in method) == (measure == "top_box")


def test_churn_rate_revenue_share_and_reason_pareto_equal_pandas(client_for, cast_a):
    built = csat_org(cast_a.org, n=500, seed=9)
    value_model_run(organization=cast_a.org, as_of=AS_OF)
    page = client_for(cast_a.cx_manager).get(URL).content.decode()
    revenue, churn = built.revenue, built.churn

    start = max(WINDOW_START, min(revenue["month"].min(), churn["date"].min()))
    assert start == dt.date(2025, 6, 1)  # the revenue starts after the window does: the period says so
    expected_period = (
        f"Period: {formats.date_format(start, 'DATE_FORMAT')} – {formats.date_format(AS_OF, 'DATE_FORMAT')}"
    )
    assert text_of(page, "churn-period") == expected_period

    at_risk = set(revenue["customer_id"]) | set(churn["customer_id"])
    rate = churn["customer_id"].nunique() / len(at_risk)
    years = ((AS_OF - start).days + 1) / 365.25
    assert text_of(page, "churn-rate") == pct(rate)
    assert text_of(page, "churn-rate-annual") == f"{pct(1 - (1 - rate) ** (1 / years))} a year (annualised)"

    def index(day: dt.date) -> int:
        return day.year * 12 + day.month

    before = revenue.merge(churn[["customer_id", "date"]], on="customer_id")
    months, left = before["month"].map(index), before["date"].map(index)
    in_last_year = (months <= left) & (months > left - 12) & (before["month"] >= WINDOW_START)
    share = before.loc[in_last_year, "amount"].sum() / revenue["amount"].sum()
    assert text_of(page, "churn-revenue-share") == pct(share)

    counts = churn["reason"].replace("", "(no reason given)").value_counts()
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    table = page.split('data-testid="churn-reasons"', 1)[1].split("</table>", 1)[0]
    rows = table.split('data-testid="churn-reason"')[1:]
    assert [text_of(r, "reason") for r in rows] == [reason for reason, _count in ordered]
    cumulative = 0
    for row, (_reason, count) in zip(rows, ordered, strict=True):
        cumulative += count
        assert text_of(row, "count") == str(count)
        assert text_of(row, "share") == pct(count / len(churn))
        assert text_of(row, "cumulative") == pct(cumulative / len(churn))
    assert 'data-plotly="value_chart_churn_reasons"' in page
    assert '<script id="value_chart_churn_reasons" type="application/json">' in page


def test_csat_answers_without_customer_ids_are_named_as_what_is_missing(client_for, cast_a):
    from tests.value.builders import question, write_answers

    q = question(cast_a.org, kind="csat", code="csat")
    cast_a.org.primary_metric = "csat"
    cast_a.org.save()
    write_answers(cast_a.org, q, [(None, 1 + i % 5, AS_OF - dt.timedelta(days=i % 300)) for i in range(1234)])
    snapshot = value_model_run(organization=cast_a.org, as_of=AS_OF)
    assert snapshot.results["categories"]["reason_code"] == "no_customer_ids"
    page = client_for(cast_a.cx_manager).get(URL).content.decode()
    reason = text_of(page, "categories-unsupported")
    assert "the 1,234 CSAT answers in the period have no customer id" in reason
    assert "NPS" not in reason and "NPS" not in text_of(page, "drivers-unsupported")
    assert "CSAT" in text_of(page, "drivers-unsupported") and "choose an outcome" in text_of(
        page, "drivers-unsupported"
    )


def test_missing_revenue_and_unmatched_revenue_are_told_apart(client_for, cast_a):
    built = csat_org(cast_a.org, n=200, seed=2)
    from value.models import CustomerRevenue

    CustomerRevenue.objects.filter(organization=cast_a.org).delete()
    value_model_run(organization=cast_a.org, as_of=AS_OF)
    page = client_for(cast_a.cx_manager).get(URL).content.decode()
    assert "No customer has revenue data in the period" in text_of(page, "categories-unsupported")
    assert "import revenue per customer and month" in text_of(page, "churn-rate-unsupported")

    # Revenue for customers who never answered: "no revenue rows match these customers".
    from tests.value.builders import write_customers, write_facts

    others = write_customers(cast_a.org, ["Consumer"] * 150, prefix="R")
    write_facts(
        cast_a.org,
        pd.DataFrame({"customer_id": others, "month": dt.date(2026, 10, 1), "amount": 100.0}),
        built.churn.iloc[0:0],
    )
    value_model_run(organization=cast_a.org, as_of=AS_OF)
    page = client_for(cast_a.cx_manager).get(URL).content.decode()
    reason = text_of(page, "categories-unsupported")
    assert "no revenue rows match the customers who answered" in reason
    assert "200 customers answered and 150 customers have revenue" in reason
    assert "NPS" not in reason


def test_without_churn_events_the_churn_figures_say_what_to_import(client_for, cast_a):
    csat_org(cast_a.org, n=150, seed=4)
    from value.models import ChurnEvent

    ChurnEvent.objects.filter(organization=cast_a.org).delete()
    value_model_run(organization=cast_a.org, as_of=AS_OF)
    page = client_for(cast_a.cx_manager).get(URL).content.decode()
    for name in ("churn-rate-unsupported", "churn-revenue-share-unsupported", "churn-reasons-unsupported"):
        assert "No churn events in the period: import churn data" in text_of(page, name)


def test_another_organization_sees_none_of_the_csat_figures(client_for, cast_a, cast_b):
    csat_org(cast_a.org, n=150, seed=4)
    value_model_run(organization=cast_a.org, as_of=AS_OF)
    page = client_for(cast_b.admin).get(URL).content.decode()
    assert "has not been computed yet" in page
    assert "Technician visit" not in page and "Competitor offer" not in page

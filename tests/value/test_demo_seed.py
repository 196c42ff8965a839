"""The demo's value step: revenue for every customer, churn that follows the moment of truth, a model that finds it."""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
import pytest
from django.db.models import Count

from customers.models import Customer
from demo.seed import SeedContext
from demo.seed import value as value_step
from surveys.models import Survey
from tests.factories import TouchpointFactory
from tests.value.conftest import _answers, _nps_question
from value.models import ChurnEvent, CustomerRevenue, ValueSnapshot

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

TODAY = dt.date(2026, 11, 25)


def test_demo_value_step_plants_churn_among_moment_of_truth_detractors_and_the_model_finds_it(cast_a):
    org = cast_a.org
    rng = np.random.default_rng(1)
    segments = rng.choice(["Consumer", "Premium", "Business"], size=1500, p=[0.68, 0.22, 0.10])
    customers = Customer.objects.bulk_create(
        [Customer(organization=org, external_id=f"D{i}", name=f"D{i}", segment=s) for i, s in enumerate(segments)]
    )
    mot = TouchpointFactory(stage__journey__organization=org, name="Technician visit", is_moment_of_truth=True)
    question = _nps_question(org, Survey.Kind.TOUCHPOINT)
    weights = np.array([2, 1, 1, 2, 2, 4, 6, 10, 14, 16, 12], dtype=float)
    scores = rng.choice(np.arange(11), size=900, p=weights / weights.sum())
    days = rng.integers(10, 420, size=900)
    rows = [(c.pk, int(s), TODAY - dt.timedelta(days=int(d))) for c, s, d in zip(customers, scores, days, strict=False)]
    _answers(org, question, rows, touchpoint=mot)

    sc = SeedContext(organization=org, rng=random.Random(5), months=14, today=TODAY, log=lambda _m: None)
    sc.extra["moment_of_truth"] = mot
    value_step.seed(sc)

    # Revenue every month for customers who stayed; segment-dependent plan prices in SEK.
    churned = set(ChurnEvent.objects.for_org(org).values_list("customer_id", flat=True))
    per_customer = dict(
        CustomerRevenue.objects.for_org(org)
        .values("customer_id")
        .annotate(n=Count("pk"))
        .values_list("customer_id", "n")
    )
    stayed = [c.pk for c in customers if c.pk not in churned]
    assert {per_customer[pk] for pk in stayed} == {14}
    consumer = (
        CustomerRevenue.objects.for_org(org).filter(customer__segment="Consumer").values_list("amount", flat=True)
    )
    assert min(consumer) >= 399 and max(consumer) <= 699 + 99
    # Churn is really higher among moment-of-truth detractors, and carries reasons.
    category = {pk: ("d" if s <= 6 else "p" if s >= 9 else "n") for pk, s, _d in rows}
    share = {
        k: sum(1 for pk, c in category.items() if c == k and pk in churned)
        / sum(1 for c in category.values() if c == k)
        for k in "dp"
    }
    assert share["d"] > 2 * share["p"]
    assert not ChurnEvent.objects.for_org(org).filter(reason="").exists()
    # The model run at the end finds the planted effect at the moment of truth.
    snapshot = ValueSnapshot.objects.get(organization=org)
    assert sc.extra["value_snapshot"] == snapshot
    row = next(r for r in snapshot.results["touchpoints"] if r["touchpoint_id"] == mot.pk)
    assert row["supported"] is True and 0 < row["low"] < row["value_per_point"] < row["high"]
    assert snapshot.results["revenue_at_risk"]["supported"] is True

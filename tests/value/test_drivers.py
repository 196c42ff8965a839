"""Key drivers through the value page: any rating as a driver, a chosen outcome (a yes/no label, churn), effect
sizes and a minimum practical effect; the ranking equals pandas' corr() of the same customers."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from accounts.scoping import context_for_membership
from tests.value.builders import AS_OF, driver_org
from value.models import ValueSettings, ValueSnapshot
from value.selectors import value_settings_get
from value.services import value_model_run, value_settings_update

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

URL = reverse("value:dashboard")
SETTINGS = reverse("value:driver_settings")


def on_as_of():
    """The clock on AS_OF (noon): a recomputation started from the page reads the builders' window."""
    return time_machine.travel(dt.datetime.combine(AS_OF, dt.time(12), tzinfo=timezone.get_current_timezone()))


def wide(built) -> pd.DataFrame:
    """One row per customer: speed, tidy, satisfied, churned (the test's own truth)."""
    table = built.answers.pivot_table(index="customer_id", columns="metric", values="score").rename(
        columns={"speed:1-5": "speed", "tidy:1-5": "tidy", "satisfied:yes": "satisfied"}
    )
    table["churned"] = table.index.isin(built.churn["customer_id"]).astype(float)
    return table


def rows_of(page: str) -> list[str]:
    table = page.split('data-testid="driver-table"', 1)[1].split("</table>", 1)[0]
    return table.split('data-testid="driver-row"')[1:]


def cell(row: str, name: str) -> str:
    match = re.search(rf'data-testid="{name}"[^>]*>(.*?)</(td|span)>', row, re.S)
    assert match, name
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def test_a_binary_label_chosen_on_the_page_finds_the_planted_driver_and_calls_the_small_r_negligible(
    client_for, cast_a, django_capture_on_commit_callbacks
):
    built = driver_org(cast_a.org)
    c = client_for(cast_a.cx_manager)
    page = c.get(URL).content.decode()
    assert '<option value="satisfied:yes">satisfied (yes/no)</option>' in page
    with on_as_of(), django_capture_on_commit_callbacks(execute=True):
        response = c.post(SETTINGS, {"driver_outcome": "satisfied:yes", "driver_min_effect": ""})
    assert response.status_code == 302
    row = ValueSettings.objects.get(organization=cast_a.org)
    assert (row.driver_outcome, row.driver_min_effect, row.updated_by) == (
        "satisfied:yes",
        None,
        cast_a.cx_manager.user,
    )
    snapshot = ValueSnapshot.objects.for_org(cast_a.org).done().get()
    drivers = snapshot.results["drivers"]
    assert (drivers["outcome"], drivers["outcome_metric"], drivers["min_effect"]) == ("metric", "satisfied:yes", 0.1)

    truth = wide(built)
    r_speed = truth["speed"].corr(truth["satisfied"])
    r_tidy = truth["tidy"].corr(truth["satisfied"])
    assert 0.3 < r_speed < 0.5 and 0 < r_tidy < 0.1  # what was planted
    by_metric = {r["metric"]: r for r in drivers["rows"]}
    assert by_metric["speed:1-5"]["r"] == pytest.approx(r_speed, abs=1e-9)
    assert by_metric["tidy:1-5"]["r"] == pytest.approx(r_tidy, abs=1e-9)
    assert by_metric["speed:1-5"]["n"] == by_metric["tidy:1-5"]["n"] == len(truth)
    # The small one is significant even after adjustment, and still not a driver: its effect is negligible.
    tidy = by_metric["tidy:1-5"]
    assert tidy["significant"] is True and tidy["p_adjusted"] < 0.05
    assert tidy["effect"] == "negligible" and tidy["is_driver"] is False
    assert by_metric["speed:1-5"]["is_driver"] is True and by_metric["speed:1-5"]["effect"] == "medium"

    page = c.get(URL).content.decode()
    rows = rows_of(page)
    ranking = [
        name for name in truth[["speed", "tidy"]].corrwith(truth["satisfied"]).sort_values(ascending=False).index
    ]
    names = {"speed": "Technician visit", "tidy": "Invoice"}
    assert [cell(r, "driver-name") for r in rows] == [names[m] for m in ranking]
    speed_row, tidy_row = rows
    assert 'data-testid="driver-badge"' in speed_row and cell(speed_row, "driver-effect") == "medium"
    assert cell(speed_row, "driver-r").startswith(f"{r_speed:.2f}")
    assert 'data-testid="driver-badge"' not in tidy_row and cell(tidy_row, "driver-effect") == "negligible"
    method = re.sub(r"\s+", " ", page.split('data-testid="driver-method"', 1)[1].split("</p>", 1)[0])
    assert "|r| is at least 0.10" in method and "satisfied (yes/no)" in method


def test_churn_as_the_outcome_ranks_by_point_biserial_r_and_the_automatic_choice_finds_the_label(cast_a):
    built = driver_org(cast_a.org, n=3000, seed=5)
    ctx = context_for_membership(cast_a.cx_manager, user=cast_a.cx_manager.user)
    # Automatic: no relationship or journey survey in the primary metric; the label asked outside touchpoints.
    automatic = value_model_run(organization=cast_a.org, as_of=AS_OF).results["drivers"]
    assert (automatic["requested"], automatic["outcome"], automatic["outcome_metric"]) == (
        "auto",
        "metric",
        "satisfied:yes",
    )

    value_settings_update(ctx=ctx, driver_outcome="churn", driver_min_effect=None)
    drivers = value_model_run(organization=cast_a.org, as_of=AS_OF).results["drivers"]
    assert drivers["outcome"] == "churn"
    truth = wide(built)
    expected = truth[["speed", "tidy"]].corrwith(truth["churned"])
    by_metric = {r["metric"]: r for r in drivers["rows"]}
    assert by_metric["speed:1-5"]["r"] == pytest.approx(expected["speed"], abs=1e-9)
    assert by_metric["tidy:1-5"]["r"] == pytest.approx(expected["tidy"], abs=1e-9)
    # A better score goes with less churn: importance is -r, and the ranking follows it.
    assert expected["speed"] < -0.1
    assert [r["metric"] for r in drivers["rows"]] == ["speed:1-5", "tidy:1-5"]
    assert by_metric["speed:1-5"]["importance"] == pytest.approx(-expected["speed"])
    assert by_metric["speed:1-5"]["is_driver"] is True
    assert by_metric["tidy:1-5"]["is_driver"] is False and by_metric["tidy:1-5"]["effect"] == "negligible"


def test_a_higher_minimum_effect_demotes_a_medium_driver(cast_a):
    driver_org(cast_a.org, n=1500, seed=3)
    ctx = context_for_membership(cast_a.cx_manager, user=cast_a.cx_manager.user)
    value_settings_update(ctx=ctx, driver_outcome="satisfied:yes", driver_min_effect=0.6)
    drivers = value_model_run(organization=cast_a.org, as_of=AS_OF).results["drivers"]
    speed = next(r for r in drivers["rows"] if r["metric"] == "speed:1-5")
    assert drivers["min_effect"] == 0.6
    assert speed["significant"] is True and speed["effect"] == "negligible" and speed["is_driver"] is False


def test_an_outcome_nobody_answered_says_so(client_for, cast_a):
    driver_org(cast_a.org, n=200, seed=1)
    ctx = context_for_membership(cast_a.cx_manager, user=cast_a.cx_manager.user)
    value_settings_update(ctx=ctx, driver_outcome="overall:1-10", driver_min_effect=None)
    value_model_run(organization=cast_a.org, as_of=AS_OF)
    page = client_for(cast_a.executive).get(URL).content.decode()
    reason = page.split('data-testid="drivers-unsupported"', 1)[1].split("</div>", 1)[0]
    assert "No identified customer answered overall (1-10) in the period" in reason


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"driver_outcome": "auto", "driver_min_effect": "1.5"}, "less than or equal to 0.99"),
        ({"driver_outcome": "price:1-5", "driver_min_effect": ""}, "Select a valid choice"),
    ],
)
def test_bad_settings_are_refused_with_the_reason_and_nothing_is_saved(client_for, cast_a, data, error):
    response = client_for(cast_a.cx_manager).post(SETTINGS, data)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not ValueSettings.objects.exists() and not ValueSnapshot.objects.exists()


@pytest.mark.parametrize("role", [Role.FRONTLINE, Role.EXECUTIVE])
def test_read_only_roles_cannot_change_the_outcome_and_do_not_see_the_form(client_for, cast_a, role):
    c = client_for(cast_a.member(role))
    assert c.post(SETTINGS, {"driver_outcome": "churn"}).status_code == 403
    assert 'data-testid="driver-settings"' not in c.get(URL).content.decode()
    assert not ValueSettings.objects.exists()


def test_another_organization_changes_only_its_own_settings(client_for, cast_a, cast_b):
    ctx_a = context_for_membership(cast_a.cx_manager, user=cast_a.cx_manager.user)
    value_settings_update(ctx=ctx_a, driver_outcome="churn", driver_min_effect=0.2)
    client_for(cast_b.admin).post(SETTINGS, {"driver_outcome": "auto", "driver_min_effect": "0.3"})
    mine = value_settings_get(ctx=ctx_a)
    assert (mine.driver_outcome, mine.driver_min_effect) == ("churn", 0.2)
    theirs = ValueSettings.objects.get(organization=cast_b.org)
    assert (theirs.driver_outcome, theirs.driver_min_effect) == ("auto", 0.3)
    # Nor does B's form offer A's questions as outcomes.
    driver_org(cast_a.org, n=50, seed=1)
    assert "satisfied (yes/no)" not in client_for(cast_b.admin).get(URL).content.decode()


def test_an_outcome_in_the_drivers_own_metric_reads_only_its_answers_outside_touchpoints(cast_a):
    """CSAT at a touchpoint explaining an overall CSAT question (same metric key, asked outside touchpoints): the
    drivers are kept and paired with the overall answers only, not with the touchpoint answers themselves."""
    import numpy as np

    from surveys.models import Survey
    from tests.factories import JourneyFactory, StageFactory, TouchpointFactory
    from tests.value.builders import question, write_answers, write_customers

    org = cast_a.org
    org.primary_metric = "csat"
    org.save()
    rng = np.random.default_rng(4)
    stage = StageFactory(journey=JourneyFactory(organization=org), organization=org)
    visit = TouchpointFactory(stage=stage, name="Visit")
    ids = write_customers(org, ["Consumer"] * 600)
    z = rng.normal(size=600)
    at_visit = np.digitize(z, [-1.2, -0.4, 0.4, 1.2]) + 1
    overall = np.digitize(0.7 * z + rng.normal(size=600) * 0.7, [-1.2, -0.4, 0.4, 1.2]) + 1
    day = AS_OF - dt.timedelta(days=30)
    write_answers(
        org,
        question(org, kind="csat", code="csat"),
        ((c, s, day) for c, s in zip(ids, at_visit, strict=True)),
        touchpoint=visit,
    )
    relationship = question(org, kind="csat", code="csat", survey_kind=Survey.Kind.RELATIONSHIP)
    write_answers(org, relationship, ((c, s, day) for c, s in zip(ids, overall, strict=True)))
    ctx = context_for_membership(cast_a.cx_manager, user=cast_a.cx_manager.user)
    value_settings_update(ctx=ctx, driver_outcome="csat", driver_min_effect=None)
    snapshot = value_model_run(organization=org, as_of=AS_OF)
    drivers = snapshot.results["drivers"]
    assert drivers["supported"], drivers
    (row,) = [r for r in drivers["rows"] if r["touchpoint_id"] == visit.pk]
    expected = pd.Series(at_visit.astype(float)).corr(pd.Series(overall.astype(float)))
    assert row["n"] == 600 and row["r"] == pytest.approx(expected, abs=1e-9) and row["is_driver"]

"""KPI definitions, targets with their history, and benchmarks through the pages; roles and other organizations."""

import datetime as dt

import pytest
from django.urls import reverse

from accounts.models import Role
from kpis.models import Benchmark, Kpi, Target, TargetChange
from tests.factories import JourneyFactory, TouchpointFactory

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


@pytest.fixture
def nps_kpi(cast_a):
    return Kpi.objects.create(organization=cast_a.org, code="nps", name="NPS", kind="survey", metric="nps")


@pytest.fixture
def touchpoint_a(cast_a):
    return TouchpointFactory(stage__journey__organization=cast_a.org, organization=cast_a.org)


def _target(kpi, touchpoint, value=30.0) -> Target:
    return Target.objects.create(
        organization=kpi.organization,
        kpi=kpi,
        scope="touchpoint",
        touchpoint=touchpoint,
        journey=touchpoint.journey,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
        value=value,
    )


def test_cx_manager_creates_a_kpi(client_for, cast_a):
    c = client_for(cast_a.cx_manager)
    response = c.post(
        reverse("kpis:kpi_create"),
        {
            "name": "First-contact resolution",
            "code": "fcr",
            "kind": "imported",
            "unit": "%",
            "direction": "higher",
            "aggregation": "mean",
            "owner": cast_a.cx_manager.user.pk,
        },
    )
    kpi = Kpi.objects.get(code="fcr")
    assert response.status_code == 302 and kpi.organization == cast_a.org and kpi.owner == cast_a.cx_manager.user
    assert "First-contact resolution" in c.get(reverse("kpis:kpi_list")).content.decode()


def test_a_survey_kpi_needs_its_metric_and_codes_are_unique(client_for, cast_a, nps_kpi):
    c = client_for(cast_a.cx_manager)
    base = {"name": "x", "kind": "survey", "direction": "higher", "aggregation": "mean"}
    assert c.post(reverse("kpis:kpi_create"), {**base, "code": "csat"}).status_code == 200
    assert c.post(reverse("kpis:kpi_create"), {**base, "code": "nps", "metric": "nps"}).status_code == 200
    assert Kpi.objects.count() == 1


def test_kpi_owner_must_be_a_member_of_the_organization(client_for, cast_a, cast_b):
    c = client_for(cast_a.cx_manager)
    data = {"name": "x", "code": "x", "kind": "imported", "direction": "higher", "aggregation": "sum"}
    assert c.post(reverse("kpis:kpi_create"), {**data, "owner": cast_b.admin.user.pk}).status_code == 200
    assert not Kpi.objects.exists()


def test_target_by_quarter_and_every_change_is_in_its_history(client_for, cast_a, nps_kpi, touchpoint_a):
    c = client_for(cast_a.cx_manager)
    response = c.post(
        reverse("kpis:target_create", args=[nps_kpi.pk]),
        {"scope": "touchpoint", "touchpoint": touchpoint_a.pk, "value": "25", "year": "2026", "quarter": "2"},
    )
    assert response.status_code == 302
    target = Target.objects.get()
    assert (target.period_start, target.period_end) == (dt.date(2026, 4, 1), dt.date(2026, 6, 30))
    assert target.journey == touchpoint_a.journey
    c.post(
        reverse("kpis:target_edit", args=[target.pk]),
        {
            "scope": "touchpoint",
            "touchpoint": touchpoint_a.pk,
            "value": "32",
            "period_start": "2026-04-01",
            "period_end": "2026-06-30",
            "linked_to_compensation": "on",
            "reason": "Board decision",
        },
    )
    changes = list(TargetChange.objects.order_by("pk").values_list("field", "old_value", "new_value", "changed_by"))
    user = cast_a.cx_manager.user.pk
    assert changes == [("created", "", "25", user), ("value", "25", "32", user), ("compensation", "no", "yes", user)]
    page = c.get(reverse("kpis:kpi_detail", args=[nps_kpi.pk])).content.decode()
    assert "Board decision" in page and "Linked to compensation" in page and "25 →" in page


def test_target_scope_needs_its_object(client_for, cast_a, nps_kpi):
    c = client_for(cast_a.cx_manager)
    response = c.post(
        reverse("kpis:target_create", args=[nps_kpi.pk]), {"scope": "journey", "value": "10", "year": "2026"}
    )
    assert response.status_code == 200 and not Target.objects.exists()
    journey = JourneyFactory(organization=cast_a.org)
    c.post(
        reverse("kpis:target_create", args=[nps_kpi.pk]),
        {"scope": "journey", "journey": journey.pk, "value": "10", "year": "2026"},
    )
    assert Target.objects.get().scope_object == journey


# Each scope has a whole sentence of its own, translated as a whole (with its own article and case in sv/nb/da),
# which no "Choose the %(scope)s ..." sentence built from fragments can give.
WHOLE_SCOPE_SENTENCES = {
    "journey": ("Choose the journey this target is for.", "Välj den kundresa som målet gäller."),
    "stage": ("Choose the stage this target is for.", "Välj det steg som målet gäller."),
    "touchpoint": ("Choose the touchpoint this target is for.", "Välj den kontaktpunkt som målet gäller."),
}


@pytest.mark.parametrize("scope", ["journey", "stage", "touchpoint"])
def test_a_missing_scope_object_is_one_whole_translated_sentence(client_for, cast_a, nps_kpi, scope):
    from django.utils import translation

    english, swedish = WHOLE_SCOPE_SENTENCES[scope]
    c = client_for(cast_a.cx_manager)
    url = reverse("kpis:target_create", args=[nps_kpi.pk])
    form = c.post(url, {"scope": scope, "value": "10", "year": "2026"}).context["form"]
    assert form.errors[scope] == [english]
    with translation.override("sv"):
        form = c.post(url, {"scope": scope, "value": "10", "year": "2026"}, HTTP_ACCEPT_LANGUAGE="sv").context["form"]
        assert [str(e) for e in form.errors[scope]] == [swedish]
    assert not Target.objects.exists()


def test_benchmark_is_added_and_shown(client_for, cast_a, nps_kpi):
    c = client_for(cast_a.cx_manager)
    c.post(
        reverse("kpis:benchmark_create", args=[nps_kpi.pk]),
        {
            "source_name": "Telenor",
            "kind": "competitor",
            "value": "21",
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
        },
    )
    assert Benchmark.objects.get().source_name == "Telenor"
    assert "Telenor" in c.get(reverse("kpis:kpi_detail", args=[nps_kpi.pk])).content.decode()


@pytest.mark.parametrize("role", [Role.FRONTLINE, Role.EXECUTIVE])
def test_readers_see_kpis_but_cannot_change_them(client_for, cast_a, nps_kpi, touchpoint_a, role):
    target = _target(nps_kpi, touchpoint_a)
    c = client_for(cast_a.member(role))
    page = c.get(reverse("kpis:kpi_detail", args=[nps_kpi.pk]))
    assert page.status_code == 200 and "New target" not in page.content.decode()
    assert c.get(reverse("kpis:kpi_create")).status_code == 403
    assert c.post(reverse("kpis:kpi_delete", args=[nps_kpi.pk])).status_code == 403
    assert c.post(reverse("kpis:target_edit", args=[target.pk]), {"value": "1"}).status_code == 403
    assert c.post(reverse("kpis:target_delete", args=[target.pk])).status_code == 403
    assert Kpi.objects.count() == 1 and Target.objects.get().value == 30


def test_another_organizations_kpis_targets_and_benchmarks_are_not_found(
    client_for, cast_a, cast_b, nps_kpi, touchpoint_a
):
    target = _target(nps_kpi, touchpoint_a)
    bench = Benchmark.objects.create(
        organization=cast_a.org,
        kpi=nps_kpi,
        source_name="Telia",
        value=20,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
    )
    c = client_for(cast_b.admin)
    for name, pk in [
        ("kpis:kpi_detail", nps_kpi.pk),
        ("kpis:kpi_edit", nps_kpi.pk),
        ("kpis:target_create", nps_kpi.pk),
        ("kpis:benchmark_create", nps_kpi.pk),
        ("kpis:target_edit", target.pk),
        ("kpis:benchmark_edit", bench.pk),
    ]:
        assert c.get(reverse(name, args=[pk])).status_code == 404, name
    for name, pk in [
        ("kpis:kpi_delete", nps_kpi.pk),
        ("kpis:target_delete", target.pk),
        ("kpis:benchmark_delete", bench.pk),
    ]:
        assert c.post(reverse(name, args=[pk])).status_code == 404, name
    assert (
        c.post(reverse("kpis:target_edit", args=[target.pk]), {"scope": "touchpoint", "value": "99"}).status_code == 404
    )
    assert Target.objects.get().value == 30 and Kpi.objects.count() == 1 and Benchmark.objects.count() == 1
    assert "NPS" not in c.get(reverse("kpis:kpi_list")).content.decode().split("</thead>")[1]


def test_a_target_cannot_point_at_another_organizations_touchpoint(client_for, cast_a, cast_b, nps_kpi):
    foreign = TouchpointFactory(stage__journey__organization=cast_b.org, organization=cast_b.org)
    c = client_for(cast_a.cx_manager)
    response = c.post(
        reverse("kpis:target_create", args=[nps_kpi.pk]),
        {"scope": "touchpoint", "touchpoint": foreign.pk, "value": "1", "year": "2026"},
    )
    assert response.status_code == 200 and not Target.objects.exists()


def test_kpi_list_query_count_is_bounded(client_for, cast_a, django_assert_max_num_queries):
    for i in range(15):
        Kpi.objects.create(
            organization=cast_a.org, code=f"k{i}", name=f"K {i}", kind="imported", owner=cast_a.admin.user
        )
    c = client_for(cast_a.executive)
    c.get(reverse("kpis:kpi_list"))
    with django_assert_max_num_queries(8):
        assert c.get(reverse("kpis:kpi_list")).status_code == 200


# -- the survey metric and its measure ---------------------------------------------------------------------------


def _questions(org, kind, specs):
    from django.utils import timezone

    from surveys.models import Question, Survey, SurveyVersion

    survey = Survey.objects.create(organization=org, name=f"{kind} survey", kind=kind)
    version = SurveyVersion.objects.create(organization=org, survey=survey, number=1, published_at=timezone.now())
    for i, (code, qkind, low, high, text) in enumerate(specs):
        Question.objects.create(
            organization=org,
            version=version,
            position=i,
            code=code,
            kind=qkind,
            scale_min=low,
            scale_max=high,
            text={"en": text},
        )


@pytest.fixture
def question_metrics(cast_a):
    _questions(
        cast_a.org,
        "relationship",
        [("overall", "rating", 1, 10, "Overall, how satisfied are you?"), ("renew", "yes_no", None, None, "Renew?")],
    )
    _questions(cast_a.org, "employee", [("stress", "rating", 1, 5, "How stressed are you?")])


SURVEY_KPI = {"name": "Overall satisfaction", "code": "overall", "kind": "survey", "direction": "higher"}


def test_the_survey_metric_is_a_choice_of_the_organizations_metric_keys(client_for, cast_a, question_metrics):
    c = client_for(cast_a.cx_manager)
    form = c.get(reverse("kpis:kpi_create")).context["form"]
    choices = dict(form.fields["metric"].choices)
    assert {"", "nps", "csat", "ces", "overall:1-10", "renew:yes"} == set(choices)
    assert choices["overall:1-10"] == "overall (1-10) – Overall, how satisfied are you?"
    # Free text that is no metric key of the organization (an employee question's key too) is refused.
    for metric in ("overall", "stress:1-5", "loyalty"):
        response = c.post(reverse("kpis:kpi_create"), {**SURVEY_KPI, "aggregation": "mean", "metric": metric})
        assert response.status_code == 200 and "metric" in response.context["form"].errors
    assert not Kpi.objects.exists()


def test_the_measure_is_one_the_chosen_metrics_scale_has(client_for, cast_a, question_metrics):
    c = client_for(cast_a.cx_manager)
    page = c.get(reverse("kpis:kpi_create")).content.decode()
    assert 'hx-target="#id_measure"' in page
    base = {**SURVEY_KPI, "aggregation": "mean"}
    for metric, measure, message in (
        ("nps", "mean", "NPS has no mean figure"),
        ("renew:yes", "mean", "renew (yes/no) has no mean figure"),
    ):
        response = c.post(reverse("kpis:kpi_create"), {**base, "metric": metric, "measure": measure})
        assert message in " ".join(response.context["form"].errors["measure"])
    assert not Kpi.objects.exists()
    assert (
        c.post(reverse("kpis:kpi_create"), {**base, "metric": "overall:1-10", "measure": "top_box"}).status_code == 302
    )
    kpi = Kpi.objects.get()
    assert (kpi.metric, kpi.measure) == ("overall:1-10", "top_box")
    # The edit form offers that scale's measures only, and an imported KPI carries no survey metric.
    form = c.get(reverse("kpis:kpi_edit", args=[kpi.pk])).context["form"]
    assert [v for v, _label in form.fields["measure"].choices] == ["", "top_box"]
    c.post(reverse("kpis:kpi_edit", args=[kpi.pk]), {**base, "kind": "imported", "metric": "nps", "measure": ""})
    kpi.refresh_from_db()
    assert (kpi.kind, kpi.metric, kpi.measure) == ("imported", "", "")

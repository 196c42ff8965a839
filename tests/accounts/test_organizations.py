"""Organizations from the UI: who may create one, what is validated, and the settings page of the current one."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Organization, Role
from accounts.scoping import SESSION_KEY
from accounts.services import organization_create
from surveys.models import Question, Survey, SurveyVersion
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW = reverse("accounts:organization_create")
SETTINGS = reverse("accounts:organization_settings")


def form_data(**overrides) -> dict:
    data = {
        "name": "Fjord Energi AS",
        "currency": "NOK",
        "timezone": "Europe/Oslo",
        "default_language": "nb",
        "languages": ["nb", "en"],
        "primary_metric": "csat",
        "primary_measure": "top_box",
        "min_n": "25",
        "survey_quarantine_days": "30",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def customer_and_staff_questions(org: Organization) -> None:
    """A customer survey with a rating and a yes/no question, and an employee survey with its own rating."""
    for kind, specs in (
        (
            Survey.Kind.TOUCHPOINT,
            [
                ("delivery", "rating", 1, 5, "How was the delivery?"),
                ("resolved", "yes_no", None, None, "Was your problem solved?"),
            ],
        ),
        (Survey.Kind.EMPLOYEE, [("workload", "rating", 1, 5, "How is your workload?")]),
    ):
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


# -- creating ---------------------------------------------------------------------------------------------------


def test_an_admin_creates_an_organization_becomes_its_admin_and_works_in_it(client_for, cast_a):
    c = client_for(cast_a.admin)
    page = c.get(NEW).content.decode()
    assert 'name="primary_metric"' in page and "Europe/Oslo" in page
    # Home markets first in the currency list.
    assert page.index('value="SEK"') < page.index('value="AED"')
    response = c.post(NEW, form_data())
    assert response.status_code == 302 and response["Location"] == reverse("accounts:member_list")
    org = Organization.objects.get(name="Fjord Energi AS")
    assert (org.slug, org.currency, org.timezone, org.default_language) == (
        "fjord-energi-as",
        "NOK",
        "Europe/Oslo",
        "nb",
    )
    assert (org.languages, org.primary_metric, org.primary_measure, org.min_n) == (["nb", "en"], "csat", "top_box", 25)
    assert Membership.objects.get(organization=org).user == cast_a.admin.user
    assert Membership.objects.get(organization=org).role == Role.ADMIN
    assert c.session[SESSION_KEY] == org.pk
    members = c.get(reverse("accounts:member_list")).content.decode()
    assert "Created Fjord Energi AS" in members and cast_a.admin.user.username in members
    # The previous organization is still the user's, untouched.
    assert Membership.objects.get(organization=cast_a.org, user=cast_a.admin.user).role == Role.ADMIN


def test_the_slug_is_made_from_the_name_and_kept_unique(client_for, cast_a):
    c = client_for(cast_a.admin)
    c.post(NEW, form_data(name="Alpha Telecom"))
    c.post(NEW, form_data(name="Alpha  Telecom!"))
    slugs = set(Organization.objects.filter(name__startswith="Alpha").values_list("slug", flat=True))
    assert slugs == {"alpha-telecom", "alpha-telecom-2", "alpha-telecom-3"}


def test_a_superuser_without_any_organization_can_create_one(client, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.com", "x")
    client.force_login(root)
    assert "Create an organization" in client.get(reverse("accounts:no_organization")).content.decode()
    assert client.post(NEW, form_data(name="Root Org")).status_code == 302
    org = Organization.objects.get(name="Root Org")
    assert Membership.objects.get(organization=org, user=root).role == Role.ADMIN
    assert client.get(reverse("home"), follow=True).status_code == 200


def test_a_user_who_is_admin_elsewhere_may_create_one_from_any_organization(client_for, cast_a, cast_b):
    MembershipFactory(organization=cast_b.org, user=cast_a.executive.user, role=Role.ADMIN)
    assert client_for(cast_a.executive).post(NEW, form_data()).status_code == 302
    assert Organization.objects.filter(name="Fjord Energi AS").exists()


@pytest.mark.parametrize("role", [Role.CX_MANAGER, Role.FRONTLINE, Role.EXECUTIVE])
def test_members_who_are_admin_nowhere_cannot_create_an_organization(client_for, cast_a, role):
    c = client_for(cast_a.member(role))
    assert c.get(NEW).status_code == 403
    assert c.post(NEW, form_data()).status_code == 403
    assert not Organization.objects.filter(name="Fjord Energi AS").exists()


def test_an_anonymous_visitor_is_sent_to_the_login(client):
    response = client.post(NEW, form_data())
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    assert not Organization.objects.filter(name="Fjord Energi AS").exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"currency": "XYZ"}, "currency", "Select a valid choice."),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "Select a valid choice."),
        ({"default_language": "fr"}, "default_language", "Select a valid choice."),
        ({"languages": None}, "languages", "This field is required."),
        ({"languages": ["nb", "fr"]}, "languages", "Select a valid choice."),
        ({"primary_metric": "overall"}, "primary_metric", "Select a valid choice."),
        ({"primary_metric": "nps", "primary_measure": "top_box"}, "primary_measure", "NPS has no top_box figure"),
        ({"primary_metric": "nps", "primary_measure": "mean"}, "primary_measure", "NPS has no mean figure"),
        ({"min_n": "0"}, "min_n", "greater than or equal to 1"),
    ],
)
def test_each_invalid_setting_is_named_and_nothing_is_created(client_for, cast_a, overrides, field, message):
    response = client_for(cast_a.admin).post(NEW, form_data(**overrides))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field]), errors
    assert message in response.content.decode().replace("&#x27;", "'")
    assert Organization.objects.count() == 1  # only cast_a's


def test_the_service_validates_what_the_form_cannot_see():
    with pytest.raises(Exception) as info:
        organization_create(name="X", currency="xyz", timezone="Nowhere/City", languages=[], primary_metric="q:3-2")
    errors = info.value.message_dict
    assert "ISO 4217" in errors["currency"][0]
    assert "Unknown time zone" in errors["timezone"][0]
    assert "at least one survey language" in errors["languages"][0]
    assert "Unknown metric" in errors["primary_metric"][0]
    assert not Organization.objects.exists()
    org = organization_create(name="Lower Case Oy", currency="eur", timezone="Europe/Helsinki")
    assert org.currency == "EUR" and org.languages == [] and org.primary_metric == "nps"


# -- settings ---------------------------------------------------------------------------------------------------


def test_an_admin_changes_the_settings_but_not_the_slug(client_for, cast_a):
    c = client_for(cast_a.admin)
    page = c.get(SETTINGS).content.decode()
    assert "alpha-telecom" in page and 'name="slug"' not in page
    data = form_data(name="Alpha Telekom", currency="DKK", survey_quarantine_days="14", slug="stolen")
    response = c.post(SETTINGS, data)
    assert response.status_code == 302
    org = Organization.objects.get(pk=cast_a.org.pk)
    assert (org.name, org.slug, org.currency, org.timezone, org.survey_quarantine_days) == (
        "Alpha Telekom",
        "alpha-telecom",
        "DKK",
        "Europe/Oslo",
        14,
    )


def test_changing_the_primary_metric_says_what_changes(client_for, cast_a):
    c = client_for(cast_a.admin)
    response = c.post(SETTINGS, form_data(name=cast_a.org.name, primary_metric="csat", primary_measure="top_box"))
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(
        "Dashboards and the value model will use CSAT, top-2-box % from now on (it was NPS)" in t
        and "recomputes tonight or on request" in t
        for t in texts
    ), texts
    page = c.get(SETTINGS).content.decode()
    assert "Now: CSAT, top-2-box %." in page
    # Saving again without a change says nothing about the metric.
    response = c.post(SETTINGS, form_data(name=cast_a.org.name, primary_metric="csat", primary_measure="top_box"))
    assert not any("from now on" in str(m) for m in get_messages(response.wsgi_request))


def test_the_primary_metric_offers_the_customer_survey_questions_with_their_text(client_for, cast_a):
    customer_and_staff_questions(cast_a.org)
    form = client_for(cast_a.admin).get(SETTINGS).context["form"]
    choices = dict(form.fields["primary_metric"].choices)
    assert list(choices)[:3] == ["nps", "csat", "ces"]
    assert choices["delivery:1-5"] == "delivery (1-5) – How was the delivery?"
    assert choices["resolved:yes"] == "resolved (yes/no) – Was your problem solved?"
    assert "workload:1-5" not in choices  # an employee survey's answers are no customer metric


def test_a_question_metric_becomes_primary_and_its_measures_are_the_scales_own(client_for, cast_a):
    customer_and_staff_questions(cast_a.org)
    c = client_for(cast_a.admin)
    base = form_data(name=cast_a.org.name)
    # A yes/no question has only "% yes": a mean is refused.
    response = c.post(SETTINGS, {**base, "primary_metric": "resolved:yes", "primary_measure": "mean"})
    assert "resolved (yes/no) has no mean figure" in " ".join(response.context["form"].errors["primary_measure"])
    assert c.post(SETTINGS, {**base, "primary_metric": "resolved:yes", "primary_measure": ""}).status_code == 302
    assert c.post(SETTINGS, {**base, "primary_metric": "workload:1-5", "primary_measure": ""}).status_code == 200
    assert c.post(SETTINGS, {**base, "primary_metric": "delivery:1-5", "primary_measure": "top_box"}).status_code == 302
    org = Organization.objects.get(pk=cast_a.org.pk)
    assert (org.primary_metric, org.primary_measure) == ("delivery:1-5", "top_box")
    # The dashboards open on it.
    overview = c.get(reverse("kpis:overview")).content.decode()
    assert "delivery (1-5), top-2-box %" in overview


def test_the_measure_select_follows_the_metric(client_for, cast_a):
    c = client_for(cast_a.admin)
    page = c.get(SETTINGS).content.decode()
    assert f'hx-get="{reverse("accounts:measure_options")}"' in page and 'hx-target="#id_primary_measure"' in page
    options = reverse("accounts:measure_options")
    nps = c.get(options, {"param": "primary_metric", "primary_metric": "nps"}).content.decode()
    csat = c.get(options, {"param": "primary_metric", "primary_metric": "csat"}).content.decode()
    yes = c.get(options, {"param": "metric", "metric": "resolved:yes"}).content.decode()
    assert nps.count("<option") == 1 and ">NPS<" in nps
    assert csat.count("<option") == 2 and 'value=""' in csat and 'value="top_box"' in csat
    assert ">CSAT, mean<" in csat and ">CSAT, top-2-box %<" in csat
    assert yes.count("<option") == 1 and "resolved, % yes" in yes


@pytest.mark.parametrize("role", [Role.CX_MANAGER, Role.FRONTLINE, Role.EXECUTIVE])
def test_only_admins_change_the_settings(client_for, cast_a, role):
    c = client_for(cast_a.member(role))
    assert c.get(SETTINGS).status_code == 403
    assert c.post(SETTINGS, form_data(name="Hijacked")).status_code == 403
    assert Organization.objects.get(pk=cast_a.org.pk).name == "Alpha Telecom"


def test_another_organizations_admin_changes_only_their_own(client_for, cast_a, cast_b):
    c = client_for(cast_b.admin)
    page = c.get(SETTINGS).content.decode()
    assert "Beta Broadband" in page and "Alpha Telecom" not in page
    c.post(SETTINGS, form_data(name="Beta Renamed", currency="EUR"))
    assert Organization.objects.get(pk=cast_a.org.pk).name == "Alpha Telecom"
    assert Organization.objects.get(pk=cast_a.org.pk).currency == "SEK"
    assert Organization.objects.get(pk=cast_b.org.pk).name == "Beta Renamed"
    # Switching into an organization one is no member of does not work either.
    c.post(reverse("accounts:switch_organization"), {"organization": cast_a.org.pk})
    c.post(SETTINGS, form_data(name="Alpha Hijacked"))
    assert Organization.objects.get(pk=cast_a.org.pk).name == "Alpha Telecom"


def test_admins_find_the_organization_pages_in_the_menu(client_for, cast_a):
    admin_page = client_for(cast_a.admin).get(reverse("accounts:team_list")).content.decode()
    assert SETTINGS in admin_page and NEW in admin_page
    cx_page = client_for(cast_a.cx_manager).get(reverse("accounts:team_list")).content.decode()
    assert SETTINGS not in cx_page


def test_an_empty_survey_language_list_on_an_existing_organization_shows_all_as_chosen(client_for, cast_a):
    assert cast_a.org.languages == []
    form = client_for(cast_a.admin).get(SETTINGS).context["form"]
    assert form.initial["languages"] == ["sv", "nb", "da", "en"]


def test_the_right_to_create_goes_with_the_last_admin_role(client, cast_a):
    user = UserFactory(username="former")
    membership = MembershipFactory(organization=cast_a.org, user=user, role=Role.ADMIN)
    client.force_login(user)
    assert client.get(NEW).status_code == 200
    membership.delete()
    assert client.get(NEW).status_code == 403

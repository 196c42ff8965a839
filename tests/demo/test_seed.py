import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from accounts.models import Membership, Organization, Role
from customers.models import Customer
from journeys.models import Channel, Journey, Touchpoint
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

User = get_user_model()
# Small and short: the demo's shape does not depend on its size, and later steps scale with both.
SMALL = {"customers": 200, "months": 3}


def seed_demo(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **{**SMALL, **options})
    return out.getvalue()


def printed_credentials(output: str) -> dict[str, tuple[str, str]]:
    """role -> (username, password), read from the table the command prints."""
    rows = re.findall(r"^\s+(\w+)\s+(\S+)\s+(\S+)\s*$", output, flags=re.MULTILINE)
    return {role: (username, password) for role, username, password in rows if role in Role.values}


@pytest.fixture
def seeded() -> str:
    return seed_demo()


def nordlys() -> Organization:
    return Organization.objects.get(name="Nordlys Bredband AB")


def test_seed_creates_the_nordic_organization(seeded):
    org = nordlys()
    assert (org.currency, org.default_language, org.timezone) == ("SEK", "sv", "Europe/Stockholm")
    assert (org.survey_quarantine_days, org.min_n) == (30, 30)
    assert "http://127.0.0.1:8000/" in seeded


def test_every_role_can_log_in_with_the_printed_password(seeded):
    credentials = printed_credentials(seeded)
    assert set(credentials) == set(Role.values)
    for role, (username, password) in credentials.items():
        client = Client()
        response = client.post(reverse("accounts:login"), {"username": username, "password": password})
        assert response.status_code == 302, role
        assert response["Location"] == reverse("home")
        assert Membership.objects.get(organization=nordlys(), user__username=username).role == role


def test_seed_builds_five_journeys_with_owned_touchpoints_and_moments_of_truth(seeded):
    org = nordlys()
    journeys = Journey.objects.for_org(org)
    assert set(journeys.values_list("name", flat=True)) == {
        "Onboarding",
        "Support",
        "Billing",
        "Moving",
        "Cancellation",
    }
    touchpoints = Touchpoint.objects.for_org(org).select_related("owner", "responsible_team", "stage")
    assert 20 <= touchpoints.count() <= 40
    for tp in touchpoints:
        assert tp.stage.journey_id == tp.journey_id
        assert tp.owner.memberships.filter(organization=org).exists(), tp.name
        assert tp.responsible_team.organization_id == org.pk
        assert tp.pain_points.strip(), tp.name
    for journey in journeys:
        assert journey.touchpoints.filter(is_moment_of_truth=True).count() == 1, journey.name
        assert journey.personas.exists()

    visit = touchpoints.get(journey__name="Onboarding", is_moment_of_truth=True)
    assert visit.name == "Technician visit"
    assert visit.channel == Channel.FIELD_VISIT
    assert "Technician arrives outside the booked window" in visit.pain_points
    others = touchpoints.filter(journey=visit.journey).exclude(pk=visit.pk)
    assert all(tp.priority < visit.priority for tp in others)
    stage_names = list(visit.journey.stages.order_by("position").values_list("name", flat=True))
    assert stage_names[0] == "Order"
    assert stage_names.index("Installation") < stage_names.index("First invoice")


def test_seed_creates_customers_in_four_languages_with_unique_external_ids(seeded):
    customers = Customer.objects.for_org(nordlys())
    assert customers.count() == 200
    assert set(customers.values_list("language", flat=True)) == {"sv", "nb", "da", "en"}
    assert set(customers.values_list("country", flat=True)) == {"SE", "NO", "DK"}
    ids = list(customers.values_list("external_id", flat=True))
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"NB-(SE|NO|DK)-\d{6}", i) for i in ids)
    # Language follows the country unless the customer prefers English.
    assert not customers.filter(country="NO").exclude(language__in=["nb", "en"]).exists()
    assert not customers.filter(persona__isnull=True).exists()
    assert 0.4 < customers.filter(may_contact=True).count() / 200 < 0.8
    assert customers.filter(may_survey=True).count() > 150


def test_seed_with_if_empty_twice_creates_nothing_new(seeded):
    before = (Organization.objects.count(), User.objects.count(), Customer.objects.count(), Touchpoint.objects.count())
    output = seed_demo(if_empty=True)
    seed_demo(if_empty=True)
    assert "already exists" in output
    assert printed_credentials(output)["cx_manager"] == ("cx", "demo-password-1")
    after = (Organization.objects.count(), User.objects.count(), Customer.objects.count(), Touchpoint.objects.count())
    assert after == before


def test_seed_refuses_to_run_twice_without_a_flag(seeded):
    with pytest.raises(CommandError, match="--reset"):
        seed_demo()


def test_reset_rebuilds_the_demo_and_leaves_other_organizations_alone(seeded):
    other_org = OrganizationFactory(name="Real customer AB")
    other_user = UserFactory(username="real.person", email="real.person@company.se")
    Membership.objects.create(organization=other_org, user=other_user, role=Role.ADMIN)
    Journey.objects.for_org(nordlys()).get(name="Moving").delete()
    User.objects.filter(username="frontline").update(first_name="Changed")

    seed_demo(reset=True, customers=50)

    assert Journey.objects.for_org(nordlys()).filter(name="Moving").exists()
    assert Customer.objects.for_org(nordlys()).count() == 50
    assert User.objects.get(username="frontline").first_name == "Jonas"
    assert Organization.objects.filter(name__in=["Nordlys Bredband AB", "Fjord Energi AS"]).count() == 2
    assert Membership.objects.filter(organization=other_org, user=other_user).exists()


def test_seed_refuses_to_take_over_a_real_user_with_a_demo_username(db):
    real = UserFactory(username="admin", email="it@company.se")
    with pytest.raises(CommandError, match="not a demo user"):
        seed_demo()
    real.refresh_from_db()
    assert real.check_password("password")
    assert not Organization.objects.filter(name="Nordlys Bredband AB").exists()


def test_same_seed_gives_the_same_customers(seeded):
    def snapshot():
        return list(Customer.objects.for_org(nordlys()).order_by("external_id").values_list("external_id", "name"))

    first = snapshot()
    seed_demo(reset=True)
    assert snapshot() == first
    seed_demo(reset=True, seed=7)
    assert snapshot() != first


def test_cx_manages_the_second_organization_too(seeded):
    fjord = Organization.objects.get(name="Fjord Energi AS")
    assert fjord.currency == "NOK"
    assert Journey.objects.for_org(fjord).count() >= 3
    assert Customer.objects.for_org(fjord).filter(country="NO").exists()
    roles = dict(Membership.objects.filter(user__username="cx").values_list("organization__name", "role"))
    assert roles == {"Nordlys Bredband AB": Role.CX_MANAGER, "Fjord Energi AS": Role.CX_MANAGER}


def test_cx_sees_the_journeys_page_of_each_organization(seeded):
    username, password = printed_credentials(seeded)["cx_manager"]
    client = Client()
    assert client.login(username=username, password=password)
    for org in Organization.objects.filter(name__in=["Nordlys Bredband AB", "Fjord Energi AS"]):
        client.post(reverse("accounts:switch_organization"), {"organization": org.pk})
        response = client.get(reverse("journeys:journey_list"))
        assert response.status_code == 200
        assert org.name in response.content.decode()

"""`manage.py create_organization`: the same service as the page, clear errors, idempotent on the slug."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Membership, Organization, Role
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

FULL = [
    "--name",
    "Fjord Energi AS",
    "--currency",
    "nok",
    "--timezone",
    "Europe/Oslo",
    "--language",
    "nb",
    "--languages",
    "nb,en",
    "--primary-metric",
    "csat",
    "--primary-measure",
    "top_box",
    "--min-n",
    "25",
]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("create_organization", *args, stdout=out)
    return out.getvalue()


def test_it_creates_an_organization_with_every_setting_and_its_admin():
    anna = UserFactory(username="anna")
    out = run(*FULL, "--admin", "anna")
    org = Organization.objects.get()
    assert "Created organization 'Fjord Energi AS' (slug fjord-energi-as)" in out
    assert (org.slug, org.currency, org.timezone, org.default_language, org.languages) == (
        "fjord-energi-as",
        "NOK",
        "Europe/Oslo",
        "nb",
        ["nb", "en"],
    )
    assert (org.primary_metric, org.primary_measure, org.min_n) == ("csat", "top_box", 25)
    assert Membership.objects.get(organization=org).user == anna
    assert Membership.objects.get(organization=org).role == Role.ADMIN


def test_defaults_and_an_explicit_slug():
    run("--name", "Small Shop", "--slug", "shop")
    org = Organization.objects.get(slug="shop")
    assert (org.currency, org.timezone, org.primary_metric, org.min_n, org.languages) == (
        "SEK",
        "Europe/Stockholm",
        "nps",
        30,
        [],
    )
    assert not Membership.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--currency", "XYZ"], "currency: XYZ is not an ISO 4217 currency code"),
        (["--timezone", "Europe/Atlantis"], "timezone: Unknown time zone Europe/Atlantis"),
        (["--primary-metric", "loyalty"], "primary_metric: Unknown metric loyalty"),
        (["--primary-metric", "nps", "--primary-measure", "mean"], "primary_measure: NPS has no mean figure"),
        (["--languages", "nb,fr"], "languages: Unknown survey language fr"),
        (["--language", "de"], "default_language: Unknown language de"),
        (["--min-n", "0"], "min_n: The minimum n must be at least 1."),
        (["--admin", "nobody"], "No user 'nobody'"),
        (["--slug", "Not A Slug!"], "slug:"),
    ],
)
def test_an_invalid_value_stops_it_with_a_clear_error_and_stores_nothing(args, message):
    with pytest.raises(CommandError) as info:
        run("--name", "Broken AB", *args)
    assert message in str(info.value)
    assert not Organization.objects.exists()


def test_every_problem_is_named_at_once():
    with pytest.raises(CommandError) as info:
        run("--name", "Broken AB", "--currency", "XYZ", "--timezone", "Nowhere")
    assert "currency:" in str(info.value) and "timezone:" in str(info.value)


def test_running_it_again_changes_nothing_and_says_what_differs():
    run(*FULL)
    before = Organization.objects.values().get()
    out = run(*FULL)
    assert "exists already; nothing changed" in out and "Differs" not in out
    out = run("--name", "Fjord Energi AS", "--currency", "SEK", "--min-n", "50")
    assert "Differs: currency is 'NOK', not 'SEK'; min_n is 25, not 50. Use --update to change it." in out
    assert Organization.objects.values().get() == before


def test_update_changes_an_existing_organization():
    run(*FULL)
    out = run("--name", "Fjord Energi AS", "--update", "--currency", "EUR", "--primary-metric", "nps")
    assert "Updated organization" in out
    org = Organization.objects.get()
    assert (org.currency, org.primary_metric, org.primary_measure, org.timezone) == ("EUR", "nps", "", "Europe/Oslo")
    with pytest.raises(CommandError):
        run("--name", "Fjord Energi AS", "--update", "--currency", "XXX1")
    assert Organization.objects.get().currency == "EUR"


def test_the_admin_is_added_to_an_existing_organization_and_promoted_only_with_update():
    run(*FULL)
    org = Organization.objects.get()
    bo = UserFactory(username="bo")
    MembershipFactory(organization=org, user=bo, role=Role.EXECUTIVE)
    out = run(*FULL, "--admin", "bo")
    assert (
        "'bo' is a member (executive) of 'fjord-energi-as'" in out
        and Membership.objects.get(user=bo).role == Role.EXECUTIVE
    )
    run(*FULL, "--admin", "bo", "--update")
    assert Membership.objects.get(user=bo).role == Role.ADMIN
    UserFactory(username="cy")
    run(*FULL, "--admin", "cy")
    assert Membership.objects.get(user__username="cy").role == Role.ADMIN


def test_create_admin_takes_the_password_from_the_environment_only(monkeypatch):
    monkeypatch.delenv("CX_ADMIN_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="CX_ADMIN_PASSWORD"):
        run(*FULL, "--admin", "dana", "--create-admin")
    assert not Organization.objects.exists() and not get_user_model().objects.filter(username="dana").exists()
    monkeypatch.setenv("CX_ADMIN_PASSWORD", "123")
    with pytest.raises(CommandError, match="not accepted as a password"):
        run(*FULL, "--admin", "dana", "--create-admin")
    monkeypatch.setenv("CX_ADMIN_PASSWORD", "Fjord-Energi-2026-pw")
    out = run(*FULL, "--admin", "dana", "--create-admin")
    dana = get_user_model().objects.get(username="dana")
    assert "Created user 'dana'" in out and dana.check_password("Fjord-Energi-2026-pw")
    assert Membership.objects.get(user=dana).role == Role.ADMIN
    # Run again: the user exists, the password is left alone.
    monkeypatch.setenv("CX_ADMIN_PASSWORD", "Another-password-2027")
    assert "password is left unchanged" in run(*FULL, "--admin", "dana", "--create-admin")
    dana.refresh_from_db()
    assert dana.check_password("Fjord-Energi-2026-pw")


def test_the_password_is_no_command_line_option():
    with pytest.raises(CommandError):
        call_command("create_organization", "--name", "X", "--password", "secret")

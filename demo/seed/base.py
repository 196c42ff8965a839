"""Base step: the organization, its people and teams, personas, journeys with touchpoints, and customers.

Fills `sc.organization`, `sc.users` (role and username -> User), `sc.teams` (name -> Team) and in `sc.extra`:
`personas` (name -> Persona), `journeys` (name -> Journey), `touchpoints` (list, in journey order),
`moment_of_truth` (the technician visit), `service_teams` (country -> Team), `customers` (list, with pks),
`password_hash` (of the demo password, for users later steps add).
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from faker import Faker

from accounts.models import Organization, Team
from accounts.services import membership_add, organization_create
from customers.models import Customer
from demo.seed import data
from journeys.models import Journey, Persona, Stage, Touchpoint

if TYPE_CHECKING:
    from demo.seed import SeedContext

User = get_user_model()

ENGLISH_SHARE = 0.08  # customers who prefer English although they live in the Nordics
ENGLISH_NAMES_SHARE = 0.6  # of those, expats with English names
MAY_SURVEY_SHARE = 0.95
MAY_CONTACT_SHARE = 0.60
CUSTOMER_BATCH = 1000

# Letters that NFKD does not decompose into ASCII.
_ASCII_FOLD = str.maketrans({"ø": "o", "æ": "ae", "ß": "ss", "ð": "d", "þ": "th", "ł": "l"})


def seed(sc: SeedContext) -> None:
    # Hashed once for every demo user: PBKDF2 per user would dominate the run time.
    password_hash = sc.extra["password_hash"] = make_password(data.DEMO_PASSWORD)
    sc.organization = _organization()
    sc.users = _users(sc.organization, password_hash)
    sc.teams = _teams(sc.organization, sc.users)
    sc.extra["service_teams"] = {country: sc.teams[name] for country, name in data.SERVICE_TEAM_BY_COUNTRY.items()}
    sc.extra["personas"] = _personas(sc.organization)
    journeys, touchpoints = _journeys(sc.organization, sc.users, sc.teams, sc.extra["personas"])
    sc.extra["journeys"] = journeys
    sc.extra["touchpoints"] = touchpoints
    sc.extra["moment_of_truth"] = next(tp for tp in touchpoints if tp.name == "Technician visit")
    sc.extra["customers"] = _customers(sc.organization, sc.extra["personas"], sc.rng, sc.customers)
    sc.log(
        f"  {len(journeys)} journeys, {len(touchpoints)} touchpoints, {len(sc.extra['customers'])} customers, "
        f"{len(set(sc.users.values()))} users"
    )


def _organization() -> Organization:
    org = organization_create(
        name=data.ORG_NAME, slug=data.ORG_SLUG, currency="SEK", default_language="sv", timezone="Europe/Stockholm"
    )
    org.survey_quarantine_days = 30
    org.min_n = 30
    org.save(update_fields=["survey_quarantine_days", "min_n"])
    return org


class DemoUserConflict(Exception):
    """A user with a demo username exists and is not a demo user: the seed will not take it over."""


def demo_user(username: str, first_name: str, last_name: str, password_hash: str) -> User:
    """Create a demo user, or reuse one a previous seed made; refuse to touch a real user with the same name."""
    email = f"{username}@{data.USER_EMAIL_DOMAIN}"
    user = User.objects.filter(username=username).first()
    if user is not None and not user.email.endswith("@" + data.USER_EMAIL_DOMAIN):
        raise DemoUserConflict(
            f"A user named {username!r} already exists and is not a demo user; "
            "seed the demo into an empty database (or another DATABASE_URL)."
        )
    if user is None:
        user = User(username=username)
    user.first_name, user.last_name, user.email, user.password = first_name, last_name, email, password_hash
    user.save()
    return user


def _users(org: Organization, password_hash: str) -> dict:
    users: dict = {}
    for role, username, first, last, _job in data.ROLE_USERS:
        user = demo_user(username, first, last, password_hash)
        membership_add(organization=org, user=user, role=role)
        users[role] = users[username] = user
    for username, first, last, role in data.EXTRA_USERS:
        user = demo_user(username, first, last, password_hash)
        membership_add(organization=org, user=user, role=role)
        users[username] = user
    return users


def _teams(org: Organization, users: dict) -> dict[str, Team]:
    teams = {}
    for name, description, lead, members in data.TEAMS:
        team = Team.objects.create(organization=org, name=name, description=description, lead=users[lead])
        teams[name] = team
        for username in [lead, *members]:
            users[username].memberships.get(organization=org).teams.add(team)
    return teams


def _personas(org: Organization) -> dict[str, Persona]:
    personas = Persona.objects.bulk_create(
        Persona(organization=org, name=name, description=description, goals=goals)
        for name, description, goals in data.PERSONAS
    )
    return {p.name: p for p in personas}


def _journeys(
    org: Organization, users: dict, teams: dict[str, Team], personas: dict[str, Persona]
) -> tuple[dict[str, Journey], list[Touchpoint]]:
    journeys: dict[str, Journey] = {}
    touchpoints: list[Touchpoint] = []
    for spec in data.JOURNEYS:
        journey = Journey.objects.create(
            organization=org, name=spec["name"], description=spec["description"], owner=users[spec["owner"]]
        )
        journey.personas.set([personas[name] for name in spec["personas"]])
        journeys[journey.name] = journey
        for stage_pos, (stage_name, tps) in enumerate(spec["stages"], start=1):
            stage = Stage.objects.create(organization=org, journey=journey, name=stage_name, position=stage_pos)
            for tp_pos, tp in enumerate(tps, start=1):
                touchpoints.append(
                    Touchpoint(
                        organization=org,
                        journey=journey,
                        stage=stage,
                        name=tp.name,
                        channel=tp.channel,
                        owner=users[tp.owner],
                        responsible_team=teams[tp.team],
                        is_moment_of_truth=tp.moment_of_truth,
                        priority=tp.priority,
                        pain_points="\n".join(tp.pains),
                        position=tp_pos,
                    )
                )
    return journeys, Touchpoint.objects.bulk_create(touchpoints)


def _pick(rng: random.Random, weighted: Sequence[tuple[str, float]]) -> str:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights=weights)[0]


def _fakers(rng: random.Random) -> dict[str, Faker]:
    fakers = {}
    for locale in ["sv_SE", "no_NO", "da_DK", "en_GB"]:
        fake = Faker(locale)
        fake.seed_instance(rng.getrandbits(32))
        fakers[locale] = fake
    return fakers


def ascii_slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.lower().translate(_ASCII_FOLD))
    kept = "".join(c for c in folded if c.isascii() and (c.isalnum() or c in " .-"))
    return ".".join(kept.replace("-", " ").replace(".", " ").split())


def _customers(org: Organization, personas: dict[str, Persona], rng: random.Random, count: int) -> list[Customer]:
    fakers = _fakers(rng)
    rows = []
    for i in range(1, count + 1):
        country = _pick(rng, data.COUNTRIES)
        locale, language = data.LOCALE_BY_COUNTRY[country]
        local = names = fakers[locale]
        if rng.random() < ENGLISH_SHARE:
            language = "en"
            if rng.random() < ENGLISH_NAMES_SHARE:
                names = fakers["en_GB"]
        segment = _pick(rng, data.SEGMENTS)
        persona = personas[_pick(rng, data.PERSONAS_BY_SEGMENT[segment])]
        name = names.company() if segment == "Business" else f"{names.first_name()} {names.last_name()}"
        rows.append(
            Customer(
                organization=org,
                external_id=f"NB-{country}-{i:06d}",
                name=name,
                # Reserved example domains: a demo never e-mails a real person, whatever EMAIL_URL says.
                email=f"{ascii_slug(name)}.{i}@example.{rng.choice(['com', 'net', 'org'])}",
                phone=local.phone_number(),
                language=language,
                country=country,
                segment=segment,
                persona=persona,
                may_survey=rng.random() < MAY_SURVEY_SHARE,
                may_contact=rng.random() < MAY_CONTACT_SHARE,
            )
        )
    return Customer.objects.bulk_create(rows, batch_size=CUSTOMER_BATCH)

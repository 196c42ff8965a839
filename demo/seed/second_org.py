"""A second, small demo organization (a Norwegian energy company) so the organization switcher has something to show.

Not one of the STEPS: it has no surveys or KPIs, and `seed_demo` builds it after the main organization.
The `cx` user is its CX manager and `admin` its administrator.
"""

from __future__ import annotations

import random

from faker import Faker

from accounts.models import Organization, Role, Team
from accounts.services import membership_add, organization_create
from customers.models import Customer
from demo.seed import data
from demo.seed.base import ascii_slug, demo_user
from journeys.models import Channel, Journey, Stage, Touchpoint

CUSTOMERS = 40

# journey -> [(stage, [(touchpoint, channel, moment of truth, pain points)])]
JOURNEYS = {
    "Ny strømavtale": [
        ("Bestilling", [("Bestilling på nett", Channel.WEB, False, "Spotpris og fastpris vanskelig å sammenligne")]),
        ("Leverandørbytte", [("Bekreftelse på bytte", Channel.EMAIL, True, "Dobbel faktura fra gammel leverandør")]),
        ("Første faktura", [("Første faktura", Channel.INVOICE, False, "Påslag ikke forklart")]),
    ],
    "Strømbrudd": [
        ("Varsling", [("Varsel om strømbrudd", Channel.SMS, False, "Varsel kommer etter at strømmen er borte")]),
        ("Kundesenter", [("Kundesenter på telefon", Channel.PHONE, True, "Lang kø under store brudd")]),
    ],
    "Flytting": [
        ("Flyttemelding", [("Flyttemelding på Min side", Channel.WEB, True, "Må ringe for å avslutte gammel adresse")]),
        ("Måleravlesning", [("Måleravlesning i appen", Channel.APP, False, "Appen godtar ikke bilde av måleren")]),
    ],
}


def seed_second_org(*, users: dict, password_hash: str, rng: random.Random) -> Organization:
    org = organization_create(
        name=data.SECOND_ORG_NAME,
        slug=data.SECOND_ORG_SLUG,
        currency="NOK",
        default_language="nb",
        timezone="Europe/Oslo",
    )
    agent = demo_user("hanne.lie", "Hanne", "Lie", password_hash)
    team = Team.objects.create(organization=org, name="Kundesenter", description="Kundesenter i Bergen.", lead=agent)
    membership_add(organization=org, user=users["admin"], role=Role.ADMIN)
    membership_add(organization=org, user=users["cx"], role=Role.CX_MANAGER)
    membership_add(organization=org, user=agent, role=Role.FRONTLINE, teams=[team])

    touchpoints = []
    for journey_name, stages in JOURNEYS.items():
        journey = Journey.objects.create(organization=org, name=journey_name, owner=users["cx"])
        for stage_pos, (stage_name, tps) in enumerate(stages, start=1):
            stage = Stage.objects.create(organization=org, journey=journey, name=stage_name, position=stage_pos)
            for tp_pos, (name, channel, is_mot, pains) in enumerate(tps, start=1):
                touchpoints.append(
                    Touchpoint(
                        organization=org,
                        journey=journey,
                        stage=stage,
                        name=name,
                        channel=channel,
                        owner=users["cx"],
                        responsible_team=team,
                        is_moment_of_truth=is_mot,
                        priority=90 if is_mot else 50,
                        pain_points=pains,
                        position=tp_pos,
                    )
                )
    Touchpoint.objects.bulk_create(touchpoints)

    fake = Faker("no_NO")
    fake.seed_instance(rng.getrandbits(32))
    customers = []
    for i in range(1, CUSTOMERS + 1):
        name = f"{fake.first_name()} {fake.last_name()}"
        customers.append(
            Customer(
                organization=org,
                external_id=f"FE-{i:06d}",
                name=name,
                email=f"{ascii_slug(name)}.{i}@example.net",
                phone=fake.phone_number(),
                language="en" if rng.random() < 0.1 else "nb",
                country="NO",
                segment="Consumer",
                may_survey=True,
                may_contact=rng.random() < 0.6,
            )
        )
    Customer.objects.bulk_create(customers)
    return org

"""Create and delete the demo organizations (used by `manage.py seed_demo`)."""

from __future__ import annotations

import random
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db import transaction

from accounts.models import Organization
from demo.seed import SeedContext, data, run
from demo.seed.second_org import seed_second_org

DEFAULT_SEED = 20261125
DEMO_SLUGS = [data.ORG_SLUG, data.SECOND_ORG_SLUG]


def demo_exists() -> bool:
    return Organization.objects.filter(slug__in=DEMO_SLUGS).exists()


@transaction.atomic
def demo_delete() -> None:
    """Delete both demo organizations (everything in them cascades) and the demo users."""
    Organization.objects.filter(slug__in=DEMO_SLUGS).delete()
    get_user_model().objects.filter(email__iendswith="@" + data.USER_EMAIL_DOMAIN).delete()


@transaction.atomic
def demo_create(
    *, customers: int = 3000, months: int = 14, seed: int = DEFAULT_SEED, log: Callable[[str], None] = print
) -> SeedContext:
    """Seed the main demo organization through every step, then the small second organization."""
    sc = SeedContext(rng=random.Random(seed), customers=customers, months=months, log=log)
    run(sc)
    log("seeding: second organization")
    # Its own generator, so adding a step to the main organization does not change the second one.
    seed_second_org(users=sc.users, password_hash=sc.extra["password_hash"], rng=random.Random(seed + 1))
    return sc

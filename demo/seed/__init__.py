"""The demo organisation, seeded in steps so each app adds its own part.

`base` (organization, teams, users, personas, journeys, touchpoints, customers) runs first; then every module
named in STEPS that exists is imported and its `seed(sc: SeedContext)` called, in order. A step reads what
earlier steps made from `sc` (or the database) and must be deterministic for a given `sc.rng` seed (each step gets
its own generator, seeded from the run's).
"""

from __future__ import annotations

import datetime as dt
import importlib
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from accounts.models import Organization

# Order matters: surveys need journeys and customers, KPIs need responses, value needs revenue, actions need all,
# the monthly reports read everything.
STEPS = ["base", "surveys", "kpis", "value", "actions", "voice", "reports", "program"]


@dataclass
class SeedContext:
    organization: Organization | None = None
    rng: random.Random = field(default_factory=lambda: random.Random(20261125))
    # How many customers to create, and how many months of history later steps generate (ending today).
    customers: int = 3000
    months: int = 14
    today: dt.date = field(default_factory=dt.date.today)
    # Filled by the base step: role -> User, team name -> Team, etc. Later steps may add keys.
    users: dict[str, Any] = field(default_factory=dict)
    teams: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    log: Any = print

    @property
    def start_date(self) -> dt.date:
        return self.today - dt.timedelta(days=round(self.months * 30.44))


def run(sc: SeedContext) -> SeedContext:
    # Each step draws from its own generator, seeded from the run's: how much one step draws (which can depend on
    # the hour the demo is seeded at) changes nothing in the steps after it.
    seeds = {name: sc.rng.getrandbits(64) for name in STEPS}
    for name in STEPS:
        try:
            module = importlib.import_module(f"demo.seed.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"demo.seed.{name}":
                continue
            raise
        sc.log(f"seeding: {name}")
        sc.rng = random.Random(seeds[name])
        module.seed(sc)
    return sc

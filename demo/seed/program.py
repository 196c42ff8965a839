"""The CX program in the demo: a leadership perception survey with a clear blind spot, the program owner and
steering group with monthly health snapshots, origin touchpoints on cases, and a "you said, we did" mailing."""

from __future__ import annotations

from demo.seed import program_health, program_perception, program_synergy, program_updates


def seed(sc) -> None:
    program_perception.seed(sc)
    program_synergy.seed(sc)
    program_updates.seed(sc)
    program_health.seed(sc)  # last: the health snapshots read everything above

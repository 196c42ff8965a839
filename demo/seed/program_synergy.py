"""Demo seed: the program synergy part (see demo/seed/program.py)."""

from __future__ import annotations


def seed(sc) -> None:
    pass

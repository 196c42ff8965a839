"""Demo seed: the program perception part (see demo/seed/program.py)."""

from __future__ import annotations


def seed(sc) -> None:
    pass

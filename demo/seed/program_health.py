"""Demo seed: the program health part (see demo/seed/program.py)."""

from __future__ import annotations


def seed(sc) -> None:
    pass

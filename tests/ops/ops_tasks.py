"""Celery app for the operations tests: the project's app plus two probe tasks that leave a mark in a file.

Started as `celery -A tests.ops.ops_tasks worker`. A mark is a line appended to a file under OPS_MARK_DIR, so
it survives the broker's outage and needs nothing but the file system.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from cxplatform.celery import app

__all__ = ["app", "mark", "slow_mark"]


def _append(name: str, text: str) -> None:
    path = Path(os.environ["OPS_MARK_DIR"]) / name
    with path.open("a") as out:
        out.write(text + "\n")


@app.task(name="ops.mark", ignore_result=True)
def mark(name: str, text: str) -> None:
    _append(name, text)


@app.task(name="ops.slow_mark", ignore_result=True)
def slow_mark(name: str, text: str, seconds: float) -> None:
    """Hold the worker (and the message unacknowledged: acks_late) for `seconds`, then leave the mark."""
    _append(name, f"{text} started")
    time.sleep(seconds)
    _append(name, text)

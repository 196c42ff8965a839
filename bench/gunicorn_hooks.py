"""gunicorn configuration hooks of bench_submissions: swap in plain-ORM spots (--plain-orm) in each worker."""

from __future__ import annotations

import os


def post_worker_init(worker) -> None:
    spots = os.environ.get("BENCH_PLAIN_ORM", "")
    if spots:
        from bench.plain_orm import apply

        apply(spots)

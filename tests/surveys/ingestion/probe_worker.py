"""Celery app for the durability tests: the project's app plus a probe that records each committed processing.

Started as `celery -A tests.surveys.ingestion.probe_worker worker`; PROBE_REDIS_URL and PROBE_KEY say where the
probe appends the ids of processed responses (after commit, so a rolled-back attempt is not counted).
"""

import os

from celery.signals import worker_init

from cxplatform.celery import app

__all__ = ["app"]


@worker_init.connect
def connect_probe(**kwargs):
    import django

    django.setup()
    import redis
    from django.db import transaction

    from surveys.signals import response_processed

    client = redis.Redis.from_url(os.environ["PROBE_REDIS_URL"])
    key = os.environ["PROBE_KEY"]

    def probe(sender, response, **kw):
        transaction.on_commit(lambda: client.rpush(key, response.pk))

    response_processed.connect(probe, weak=False, dispatch_uid="ingestion-probe")

import os
from pathlib import Path

import redis
from celery import Celery, bootsteps
from kombu.transport import redis as kombu_redis

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxplatform.settings")


class RedisChannel(kombu_redis.Channel):
    """Kombu's Redis channel, failing with a connection error once its connection has been collected.

    When the broker goes away, the worker's consumer (celery 5.7) collects the broken connection, which detaches
    the transport from it (`transport.client = None`), and then closes it. Closing the channel restores the
    unacknowledged messages (every running or reserved task: acks_late), which needs a Redis client, whose
    parameters kombu reads from `transport.client`: AttributeError, which nothing expects, and the worker exits
    ("Unrecoverable error"). The same happens to the late ack of a task that finishes after the loss. A
    ConnectionError instead is what kombu and celery handle there: the channel closes, the ack is logged as lost,
    the worker reconnects. Nothing is lost: the messages stay in Redis's unacked set and come back after the
    visibility timeout (and the periodic sweeps redo whatever a Redis restart wiped). Reproduced by
    tests/ops/test_worker_survives_broker_loss.py; drop this class once kombu or celery no longer crash there.
    """

    def _connparams(self, asynchronous=False):
        if getattr(self.connection, "client", None) is None:
            raise redis.ConnectionError("the broker connection of this channel is closed")
        return super()._connparams(asynchronous=asynchronous)


class RedisTransport(kombu_redis.Transport):
    """Kombu's Redis transport with RedisChannel (settings: CELERY_BROKER_TRANSPORT for redis:// brokers)."""

    Channel = RedisChannel


class LivenessFile(bootsteps.StartStopStep):
    """Touch settings.WORKER_LIVENESS_FILE every few seconds while the worker consumes; delete it when it stops.

    Started with the consumer once it consumes, stopped when the broker connection is lost (the consumer restarts
    its steps) or the worker shuts down: a file younger than a minute means the worker is consuming. The health
    check of docker-compose.yml reads its age, which costs nothing (a `celery inspect ping` starts Python and Django
    every time and needs the broker).
    """

    requires = {"celery.worker.consumer.tasks:Tasks"}
    INTERVAL_SECONDS = 10.0

    def __init__(self, parent, **kwargs):
        from django.conf import settings

        path = getattr(settings, "WORKER_LIVENESS_FILE", "")
        self.path = Path(path) if path else None
        self.timer_entry = None
        super().__init__(parent, **kwargs)

    def start(self, parent):
        if self.path is None:
            return
        self._touch()
        self.timer_entry = parent.timer.call_repeatedly(self.INTERVAL_SECONDS, self._touch)

    def stop(self, parent):
        if self.timer_entry is not None:
            self.timer_entry.cancel()
            self.timer_entry = None
        if self.path is not None:
            self.path.unlink(missing_ok=True)

    shutdown = stop

    def _touch(self):
        self.path.touch()


app = Celery("cxplatform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.steps["consumer"].add(LivenessFile)

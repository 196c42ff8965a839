"""The SQLite demo (tasks in-process, no SKIP LOCKED): the outbox's portable claim sends each e-mail once."""

from tests.sqlite_demo import run_on_fresh_sqlite

SCRIPT = r"""
import datetime as dt, json
from django.conf import settings
from django.core import mail
from django.core.mail.backends import locmem
from django.db import connection
from django.utils import timezone

settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
from actions.models import FeedbackCase
from actions.services.escalation import case_escalate
from outbox.models import OutboxMessage
from outbox.services import _skip_locked, outbox_claim, outbox_sweep
from surveys.models import Response
from surveys.signals import response_processed
from tests.actions.conftest import build_loop, respond
from tests.conftest import _make_cast

out = {"vendor": connection.vendor, "skip_locked": _skip_locked()}
loop = build_loop(_make_cast("Demo Telecom"))
response = respond(loop, nps=2)
response_processed.send(sender=Response, response=response)  # case opened and committed: its e-mails go at once
case = FeedbackCase.objects.get()
out["after_open"] = sorted(m.to[0] for m in mail.outbox)
out["team_notified"] = FeedbackCase.objects.get().team_notified_at is not None
out["sweep_after_open"] = outbox_sweep()["claimed"]

accept = locmem.EmailBackend.send_messages
def refuse(backend, messages):
    raise ConnectionRefusedError("mail server down")
locmem.EmailBackend.send_messages = refuse
case_escalate(case_id=case.pk, level=2)
out["escalation_pending"] = sorted(OutboxMessage.objects.filter(status="pending").values_list("attempts", flat=True))
locmem.EmailBackend.send_messages = accept
later = timezone.now() + dt.timedelta(minutes=2)
out["sweep_later"] = outbox_sweep(now=later)["claimed"]
out["sweep_again"] = outbox_sweep(now=later)["claimed"]
out["total_sent"] = len(mail.outbox)
out["statuses"] = sorted(set(OutboxMessage.objects.values_list("status", flat=True)))

OutboxMessage.objects.filter(status="sent").update(status="pending", next_attempt_at=later)
first = outbox_claim(now=later, limit=2)
second = outbox_claim(now=later, limit=10)
out["claims"] = [len(first), len(second), len(set(first) & set(second)), len(outbox_claim(now=later, limit=10))]
print(json.dumps(out))
"""


def test_the_sqlite_demo_sends_each_e_mail_once_through_the_portable_claim(tmp_path):
    out = run_on_fresh_sqlite(tmp_path, SCRIPT)
    assert out["vendor"] == "sqlite" and out["skip_locked"] is False
    assert out["after_open"] == ["demo-telecom-frontline@example.com", "demo-telecom-lead@example.com"]
    assert out["team_notified"] is True and out["sweep_after_open"] == 0
    assert out["escalation_pending"] == [1, 1]  # the mail server refused both: kept for a retry
    assert out["sweep_later"] == 2 and out["sweep_again"] == 0 and out["total_sent"] == 4
    assert out["statuses"] == ["sent"]
    assert out["claims"] == [2, 2, 0, 0]

"""The audit log on SQLite (the demo's database), in a fresh process: reads recorded by the middleware with their
label subquery, a change, the page and its export, redaction and the purge (no trigger there: nothing refuses)."""

from __future__ import annotations

from tests.sqlite_demo import run_on_fresh_sqlite

SCRIPT = r"""
import datetime as dt, json
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient
from accounts.scoping import context_for_membership
from accounts.services import api_key_create
from actions.services.config import alert_rule_save
from audit.models import AuditEvent
from audit.services import audit_purge, audit_redact
from tests.conftest import _make_cast
from tests.factories import CustomerFactory

cast = _make_cast("Alpha Telecom")
customer = CustomerFactory(organization=cast.org, name="Anna Andersson", external_id="CRM-1")
web = Client()
web.force_login(cast.admin.user)
statuses = [web.get(f"/customers/{customer.pk}/").status_code]
ctx = context_for_membership(cast.admin, user=cast.admin.user)
_key, raw = api_key_create(ctx=ctx, name="sqlite key")
api = APIClient()
api.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
statuses.append(api.get("/api/v1/customers/by-external-id/CRM-1/").status_code)
alert_rule_save(ctx=ctx, rule=None, fields={"name": "Detractors", "nps_max": 6})
page = web.get("/audit/", {"q": "Anna"})
statuses.append(page.status_code)
export = web.get("/audit/export.csv")
body = b"".join(export.streaming_content).decode("utf-8-sig")
views = list(AuditEvent.objects.filter(action="customer.view").order_by("pk").values_list("target_id", "target_label"))
redacted = audit_redact(organization_id=cast.org.pk, values=["Anna Andersson"], replacement="***")
labels = sorted(AuditEvent.objects.filter(action="customer.view").values_list("target_label", flat=True))
purged = audit_purge(organization_id=cast.org.pk, before=timezone.now() + dt.timedelta(seconds=1))
print(json.dumps({"statuses": statuses, "views": views, "customer": customer.pk,
                  "on_page": "Anna Andersson" in page.content.decode(),
                  "rule_in_export": "alert_rule.create" in body, "redacted": redacted, "labels": labels,
                  "purged": purged, "left": AuditEvent.objects.filter(organization=cast.org).count()}))
"""


def test_reads_changes_page_export_redaction_and_purge_work_on_sqlite(tmp_path):
    result = run_on_fresh_sqlite(tmp_path, SCRIPT)
    assert result["statuses"] == [200, 200, 200]
    assert [tuple(v) for v in result["views"]] == [(str(result["customer"]), "Anna Andersson")] * 2
    assert result["on_page"] and result["rule_in_export"]
    assert result["redacted"] == 2 and result["labels"] == ["***", "***"]
    assert result["purged"] >= 4 and result["left"] == 0

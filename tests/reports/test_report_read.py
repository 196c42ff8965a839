"""A monthly report e-mail counts as read when its recipient opens the report's page or PDF: read_at is stamped once,
for that recipient only (the program health's "reports read by their subscribers")."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from reports.models import MonthlyReport, ReportDelivery

pytestmark = pytest.mark.django_db


def ready_report(org) -> MonthlyReport:
    return MonthlyReport.objects.create(
        organization=org,
        month=dt.date(2026, 10, 1),
        status=MonthlyReport.Status.READY,
        trigger=MonthlyReport.Trigger.SCHEDULE,
        language="en",
        html="<p>The month in figures</p>",
        pdf=b"%PDF-1.4 stored",
        generated_at=timezone.now(),
    )


def delivery(report, membership, state=ReportDelivery.State.SENT) -> ReportDelivery:
    return ReportDelivery.objects.create(
        organization=report.organization,
        report=report,
        user=membership.user,
        email=membership.user.email,
        language="en",
        state=state,
        sent_at=timezone.now() - dt.timedelta(days=1) if state == ReportDelivery.State.SENT else None,
    )


def test_the_recipient_opening_the_page_stamps_read_at_once(cast_a, client_for):
    report = ready_report(cast_a.org)
    mine = delivery(report, cast_a.executive)
    theirs = delivery(report, cast_a.admin)
    client = client_for(cast_a.executive)
    assert client.get(reverse("reports:report_detail", args=[report.pk])).status_code == 200
    mine.refresh_from_db()
    theirs.refresh_from_db()
    first = mine.read_at
    assert first is not None and theirs.read_at is None  # only the one who opened it
    client.get(reverse("reports:report_detail", args=[report.pk]))
    mine.refresh_from_db()
    assert mine.read_at == first  # the first time only


def test_opening_the_pdf_counts_as_reading(cast_a, client_for):
    report = ready_report(cast_a.org)
    mine = delivery(report, cast_a.executive)
    response = client_for(cast_a.executive).get(reverse("reports:report_pdf", args=[report.pk]))
    assert response.status_code == 200 and response.content == b"%PDF-1.4 stored"
    mine.refresh_from_db()
    assert mine.read_at is not None


def test_a_reader_without_a_sent_delivery_stamps_nothing(cast_a, cast_b, client_for):
    report = ready_report(cast_a.org)
    pending = delivery(report, cast_a.executive, state=ReportDelivery.State.PENDING)
    sent = delivery(report, cast_a.admin)
    client_for(cast_a.executive).get(reverse("reports:report_detail", args=[report.pk]))  # not sent yet: not "read"
    client_for(cast_a.cx_manager).get(reverse("reports:report_detail", args=[report.pk]))  # never received it
    assert client_for(cast_b.admin).get(reverse("reports:report_detail", args=[report.pk])).status_code == 404
    assert client_for(cast_b.admin).get(reverse("reports:report_pdf", args=[report.pk])).status_code == 404
    pending.refresh_from_db()
    sent.refresh_from_db()
    assert pending.read_at is None and sent.read_at is None


def test_another_version_of_the_month_is_not_the_report_that_was_mailed(cast_a, client_for):
    report = ready_report(cast_a.org)
    mine = delivery(report, cast_a.executive)
    newer = MonthlyReport.objects.create(
        organization=cast_a.org,
        month=report.month,
        version=2,
        status=MonthlyReport.Status.READY,
        language="en",
        html="<p>Later data</p>",
    )
    client_for(cast_a.executive).get(reverse("reports:report_detail", args=[newer.pk]))
    mine.refresh_from_db()
    assert mine.read_at is None

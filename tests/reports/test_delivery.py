"""Monthly report e-mails: who gets them, in which language, with what, and exactly once per subscriber per report
(report_ready twice, beat twice, a task delivered twice, a worker that died mid-send, a mail server that failed)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import Role
from accounts.scoping import OrgContext
from reports.delivery import selectors, services
from reports.models import MonthlyReport, ReportDelivery, ReportSubscription
from reports.signals import report_ready
from tests.factories import MembershipFactory, UserFactory
from tests.reports.test_pdf import NORDIC_NAME, generate, last_month, make_org, seed_month

pytestmark = pytest.mark.django_db


@pytest.fixture
def org_cast(db):
    """The Nordic organization (sv): two executives, one who opted out, a CX manager who opted in, an admin."""
    org, executive = make_org()
    exec2 = MembershipFactory(organization=org, user=UserFactory(username="exec2"), role=Role.EXECUTIVE)
    exec_out = MembershipFactory(organization=org, user=UserFactory(username="exec-out"), role=Role.EXECUTIVE)
    cxm_in = MembershipFactory(organization=org, user=UserFactory(username="cxm-in"), role=Role.CX_MANAGER)
    admin = MembershipFactory(organization=org, user=UserFactory(username="admin"), role=Role.ADMIN)
    ReportSubscription.objects.create(organization=org, user=exec_out.user, subscribed=False)
    ReportSubscription.objects.create(organization=org, user=cxm_in.user, subscribed=True)
    return {"org": org, "executive": executive, "exec2": exec2, "exec_out": exec_out, "cxm_in": cxm_in, "admin": admin}


def subscriber_emails(cast) -> set[str]:
    return {cast[k].user.email for k in ("executive", "exec2", "cxm_in")}


def sent_to() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def test_subscribers_are_executives_without_a_no_and_members_with_a_yes(org_cast, cast_b):
    org = org_cast["org"]
    # A "yes" in another organization, or of someone who is no longer a member, counts for nothing here.
    ReportSubscription.objects.create(organization=cast_b.org, user=org_cast["admin"].user, subscribed=True)
    stranger = UserFactory(username="left-the-org")
    ReportSubscription.objects.create(organization=org, user=stranger, subscribed=True)
    assert {u.email for u in selectors.subscribers(organization=org)} == subscriber_emails(org_cast)
    assert {u.email for u in selectors.subscribers(organization=cast_b.org)} == {cast_b.executive.user.email}


def test_a_scheduled_report_mails_each_subscriber_once_with_summary_pdf_and_link(
    org_cast, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://cx.example.org"
    month = last_month()
    seed_month(org_cast["org"], django_capture_on_commit_callbacks, month=month)
    report = generate(org_cast["org"], django_capture_on_commit_callbacks, month=month)

    assert sent_to() == sorted(subscriber_emails(org_cast))
    assert set(ReportDelivery.objects.filter(report=report).values_list("state", flat=True)) == {"sent"}
    message = mail.outbox[0]
    assert NORDIC_NAME in message.subject
    assert f"https://cx.example.org/reports/{report.pk}/" in message.body
    html = message.alternatives[0][0]
    assert message.alternatives[0][1] == "text/html"
    assert "+25" in html  # the summary's headline figure
    assert 'class="report-chart"' not in html  # no chart placeholders in the e-mail
    assert '<html lang="sv">' in html
    [(filename, pdf, mimetype)] = message.attachments
    assert mimetype == "application/pdf" and pdf.startswith(b"%PDF")
    assert filename == f"report-fjallraven-ostergard-{month:%Y-%m}-v1-sv.pdf"
    assert pdf == bytes(MonthlyReport.objects.get(pk=report.pk).pdf)  # the stored PDF, in the org's language
    assert message.extra_headers["Message-ID"].startswith(f"<monthly-report-{report.pk}-delivery-")


def test_report_ready_twice_and_beat_twice_send_nothing_more(org_cast, django_capture_on_commit_callbacks):
    from reports.services import report_generate

    org, month = org_cast["org"], last_month()
    report = generate(org, django_capture_on_commit_callbacks, month=month)
    assert len(mail.outbox) == 3
    rows_before = list(ReportDelivery.objects.order_by("pk").values_list("pk", "state", "attempts"))

    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            report_ready.send(sender=MonthlyReport, report_id=report.pk, trigger=report.trigger)
        services.deliveries_sweep(stale_after=dt.timedelta(0))
        # Beat firing twice: a scheduled version of that month exists, so no new version is made.
        assert report_generate(organization=org, month=month, trigger=MonthlyReport.Trigger.SCHEDULE) is None

    assert len(mail.outbox) == 3
    assert list(ReportDelivery.objects.order_by("pk").values_list("pk", "state", "attempts")) == rows_before


def test_a_second_scheduled_version_of_the_month_mails_nobody_twice(org_cast, django_capture_on_commit_callbacks):
    org, month = org_cast["org"], last_month()
    first = generate(org, django_capture_on_commit_callbacks, month=month)
    # Should a second scheduled version of the same month exist (made by hand, or by an older beat), it mails
    # only subscribers who did not get the month's report yet.
    second = MonthlyReport.objects.create(
        organization=org,
        month=month,
        version=first.version + 1,
        status=MonthlyReport.Status.READY,
        trigger=MonthlyReport.Trigger.SCHEDULE,
        figures=first.figures,
        html=first.html,
        language=first.language,
        pdf=first.pdf,
        generated_at=timezone.now(),
    )
    late = MembershipFactory(organization=org, user=UserFactory(username="late-exec"), role=Role.EXECUTIVE)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        report_ready.send(sender=MonthlyReport, report_id=second.pk, trigger=second.trigger)
    assert sent_to() == [late.user.email]


def test_on_demand_and_journey_reports_are_not_mailed(org_cast, django_capture_on_commit_callbacks):
    org, month = org_cast["org"], last_month()
    world = seed_month(org, django_capture_on_commit_callbacks, month=month, n=4)
    on_demand = generate(org, django_capture_on_commit_callbacks, month=month, trigger=MonthlyReport.Trigger.ON_DEMAND)
    journey = generate(
        org, django_capture_on_commit_callbacks, month=month - dt.timedelta(days=40), journey=world.journey
    )
    assert mail.outbox == []
    assert not ReportDelivery.objects.exists()
    assert on_demand.pdf and journey.pdf  # both still get their PDF


def test_a_delivery_is_claimed_so_a_repeated_task_sends_nothing(org_cast, django_capture_on_commit_callbacks):
    org = org_cast["org"]
    report = generate(org, django_capture_on_commit_callbacks, month=last_month())
    delivery = ReportDelivery.objects.filter(report=report).first()
    assert services.delivery_send(delivery_id=delivery.pk) is False
    ReportDelivery.objects.filter(pk=delivery.pk).update(state=ReportDelivery.State.SENDING, claimed_at=timezone.now())
    assert services.delivery_send(delivery_id=delivery.pk) is False  # another worker holds the claim
    assert len(mail.outbox) == 3


def test_a_worker_that_died_mid_send_is_resent_once_by_the_sweep(org_cast, django_capture_on_commit_callbacks):
    org = org_cast["org"]
    report = generate(org, django_capture_on_commit_callbacks, month=last_month())
    mail.outbox.clear()
    # What a worker killed between its claim and "sent" leaves behind: the row in "sending".
    now = timezone.now()
    died, fresh, spent = ReportDelivery.objects.filter(report=report).order_by("pk")
    hour_ago = now - dt.timedelta(hours=1)
    ReportDelivery.objects.filter(pk=died.pk).update(state="sending", claimed_at=hour_ago, attempts=1)
    ReportDelivery.objects.filter(pk=fresh.pk).update(state="sending", claimed_at=now - dt.timedelta(minutes=1))
    ReportDelivery.objects.filter(pk=spent.pk).update(
        state="sending", claimed_at=hour_ago, attempts=services.MAX_ATTEMPTS
    )

    with django_capture_on_commit_callbacks(execute=True):
        result = services.deliveries_sweep()
    with django_capture_on_commit_callbacks(execute=True):
        services.deliveries_sweep()  # the next sweep finds nothing more to do

    assert result["reopened"] == 1 and result["failed"] == 1
    assert sent_to() == [died.email]
    died.refresh_from_db()
    fresh.refresh_from_db()
    spent.refresh_from_db()
    assert (died.state, died.attempts) == ("sent", 2)
    assert fresh.state == "sending"  # a claim younger than the stale limit may still be sending
    assert spent.state == "failed" and spent.error


def test_a_mail_server_failure_leaves_the_delivery_pending_until_a_sweep_sends_it(
    org_cast, django_capture_on_commit_callbacks, settings, unused_tcp_port
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", unused_tcp_port  # nothing listens there
    org = org_cast["org"]
    report = generate(org, django_capture_on_commit_callbacks, month=last_month())
    rows = ReportDelivery.objects.filter(report=report)
    assert set(rows.values_list("state", "attempts")) == {("pending", 1)}
    assert all(rows.values_list("error", flat=True))

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        services.deliveries_sweep()
    assert sent_to() == sorted(subscriber_emails(org_cast))
    assert set(rows.values_list("state", "attempts")) == {("sent", 2)}


@pytest.fixture
def unused_tcp_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_each_subscriber_gets_the_email_and_pdf_in_the_language_they_chose(
    org_cast, django_capture_on_commit_callbacks
):
    from django.utils import translation
    from django.utils.translation import gettext as _

    org = org_cast["org"]
    for key, language in (("exec2", "en"), ("cxm_in", "da")):
        member = org_cast[key]
        ctx = OrgContext(organization=org, role=member.role, user=member.user)
        services.subscription_language_set(ctx=ctx, user_id=member.user_id, language=language)
    month = last_month()
    seed_month(org, django_capture_on_commit_callbacks, month=month)
    report = generate(org, django_capture_on_commit_callbacks, month=month)

    languages = dict(ReportDelivery.objects.filter(report=report).values_list("user__username", "language"))
    assert languages == {org_cast["executive"].user.username: "sv", "exec2": "en", "cxm-in": "da"}
    by_address = {m.to[0]: m for m in mail.outbox}
    for key, language in (("executive", "sv"), ("exec2", "en"), ("cxm_in", "da")):
        message = by_address[org_cast[key].user.email]
        assert f'<html lang="{language}">' in message.alternatives[0][0]
        [(filename, pdf, _mimetype)] = message.attachments
        assert filename.endswith(f"-{language}.pdf") and pdf.startswith(b"%PDF")
        with translation.override(language):
            words = _("%(organization)s: monthly report %(month)s") % {"organization": NORDIC_NAME, "month": ""}
        assert message.subject.startswith(words.strip())  # the subject's words are in that language

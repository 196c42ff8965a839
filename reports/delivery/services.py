"""Writes of report delivery: the stored PDF, the subscribers' delivery rows, the send (claimed), the sweep.

Exactly one e-mail per subscriber per report is built from three parts:
1. one ReportDelivery row per (report, user), created with get_or_create on that unique key, so beat firing twice
   or `report_ready` arriving twice creates no second row (and a second scheduled version of the same month mails
   nobody who already has the month's report);
2. a send claims its row with a conditional UPDATE (pending -> sending) before talking to the mail server, so two
   workers, a task delivered twice or a sweep racing the first task never send the same row twice;
3. the row is marked sent right after the mail server accepted the message.
A worker that dies between 2 and 3 leaves the row in "sending". We choose at-least-once for that case: after
STALE_AFTER the sweep puts the row back to "pending" and it is sent again (at most MAX_ATTEMPTS times). The
alternative, at-most-once (leave it, or mark it failed), loses the e-mail whenever the worker dies anywhere during the
SMTP conversation, which takes seconds; a duplicate needs the worker to die in the milliseconds between the server's
"250 OK" and our UPDATE. The message also carries a stable Message-ID (one per delivery row), so a repeat that does
slip through is recognisable as the same message by mail systems that deduplicate on it.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext as _

from accounts.models import Membership, Role
from accounts.scoping import OrgContext
from core.tasks import enqueue_coalesced
from reports.delivery import selectors
from reports.delivery.pdf import CHART_PLACEHOLDER, pdf_filename, render_report_pdf, report_body
from reports.models import MonthlyReport, ReportDelivery, ReportSubscription

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
STALE_AFTER = dt.timedelta(minutes=settings.REPORTS_DELIVERY_STALE_MINUTES)
# Reports this recent are checked by the sweep for a missing PDF or missing delivery rows (a lost task).
SWEEP_REPORTS_WITHIN = dt.timedelta(days=3)
SWEEP_BATCH = 500
PDF_CACHE_SECONDS = 7 * 24 * 3600  # a report version never changes, so its PDF in another language neither
SMTP_TIMEOUT = 60


# --- PDF ---------------------------------------------------------------------------------------------------------


def _stored_language(report: MonthlyReport) -> str:
    return report.language or report.organization.default_language


def report_pdf_store(*, report_id: int) -> bool:
    """Render a ready report's PDF in the organization's language and store it once. True if stored now."""
    report = MonthlyReport.objects.select_related("organization", "journey").filter(pk=report_id).first()
    if report is None or report.status != MonthlyReport.Status.READY:
        return False
    if MonthlyReport.objects.filter(pk=report_id, pdf__isnull=False).exists():
        return False
    pdf = render_report_pdf(report, language=_stored_language(report))
    # Conditional: a second run that rendered at the same time does not overwrite the first one's PDF.
    return bool(MonthlyReport.objects.filter(pk=report_id, pdf__isnull=True).update(pdf=pdf))


def report_pdf_get(*, report: MonthlyReport, language: str | None = None) -> bytes:
    """The report's PDF in `language`: the stored one, or rendered once and kept in the cache (reports are frozen)."""
    language = language or _stored_language(report)
    if language == _stored_language(report):
        pdfs = MonthlyReport.objects.filter(pk=report.pk).values_list("pdf", flat=True)
        stored = pdfs.first()
        if not stored and report_pdf_store(report_id=report.pk):
            stored = pdfs.first()
        if stored:
            return bytes(stored)
    key = f"reports:pdf:{report.pk}:v{report.version}:{language}"
    pdf = cache.get(key)
    if pdf is None:
        pdf = render_report_pdf(report, language=language)
        cache.set(key, pdf, PDF_CACHE_SECONDS)
    return pdf


# --- deliveries --------------------------------------------------------------------------------------------------


def report_is_mailed(report: MonthlyReport) -> bool:
    """Subscribers get the scheduled organization-wide report (journey reports and on-demand ones are not mailed)."""
    return (
        report.status == MonthlyReport.Status.READY
        and report.trigger == MonthlyReport.Trigger.SCHEDULE
        and report.journey_id is None
    )


def report_deliveries_create(*, report_id: int) -> list[int]:
    """One pending delivery row per subscriber of a scheduled report (idempotent); the ids of the pending rows."""
    report = MonthlyReport.objects.select_related("organization").filter(pk=report_id).first()
    if report is None or not report_is_mailed(report):
        return []
    organization = report.organization
    # A subscriber who already has this month's scheduled report (another version) gets no second e-mail.
    already = set(
        ReportDelivery.objects.filter(
            organization=organization,
            report__month=report.month,
            report__journey__isnull=True,
            report__trigger=MonthlyReport.Trigger.SCHEDULE,
        )
        .exclude(report=report)
        .values_list("user_id", flat=True)
    )
    for user in selectors.subscribers(organization=organization):
        if user.pk in already:
            continue
        ReportDelivery.objects.get_or_create(
            report=report,
            user=user,
            defaults={
                "organization": organization,
                "email": user.email,
                "language": selectors.user_language(user=user, organization=organization),
            },
        )
    return list(
        ReportDelivery.objects.filter(report=report, state=ReportDelivery.State.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def report_ready_process(*, report_id: int) -> list[int]:
    """After `report_ready`: store the PDF, create the deliveries of a scheduled report, queue their sends."""
    try:
        report_pdf_store(report_id=report_id)
    except Exception:
        # The e-mails render the PDF themselves if it is missing; the sweep tries storing it again.
        logger.exception("report %s: the PDF could not be stored", report_id)
    pending = report_deliveries_create(report_id=report_id)
    deliveries_enqueue(delivery_ids=pending)
    return pending


def deliveries_enqueue(*, delivery_ids: list[int]) -> None:
    """Queue one send task per delivery after commit; a broker outage is left to the sweep."""
    if not delivery_ids:
        return
    from reports.delivery.tasks import send_report_delivery

    def publish() -> None:
        # Inside the callback the helper publishes at once and says whether it could; the row is the outbox, so
        # after a failure the sweep queues the rest.
        for pk in delivery_ids:
            if not enqueue_coalesced(send_report_delivery, args=(pk,), after_commit=False):
                return

    transaction.on_commit(publish)


def report_url(report: MonthlyReport) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("reports:report_detail", args=[report.pk])


def _summary_html(report: MonthlyReport, *, language: str) -> str:
    """The report's first section (the one-page summary) without its charts, for the e-mail's HTML part."""
    body = report_body(report, language=language)
    match = re.search(r"<section\b.*?</section>", body, re.DOTALL)
    if not match:
        return ""
    note = format_html('<p class="small text-body-secondary">{}</p>', _("The chart is in the attached PDF."))
    return CHART_PLACEHOLDER.sub(lambda _m: note, match.group(0))


def _message_id(delivery: ReportDelivery) -> str:
    domain = urlsplit(settings.SITE_URL).hostname or "cxplatform.local"
    return f"<monthly-report-{delivery.report_id}-delivery-{delivery.pk}@{domain}>"


def delivery_message(delivery: ReportDelivery) -> EmailMultiAlternatives:
    """The e-mail of one delivery, in the subscriber's language: HTML summary, plain text, the PDF, a link."""
    report = delivery.report
    organization = report.organization
    with translation.override(delivery.language), timezone.override(organization.zone):
        month = date_format(report.month, "F Y")
        context = {
            "report": report,
            "organization": organization,
            "month": month,
            "user": delivery.user,
            "url": report_url(report),
            "subscriptions_url": settings.SITE_URL.rstrip("/") + reverse("reports:subscription"),
            "summary_html": _summary_html(report, language=delivery.language),
            "language": delivery.language,
        }
        subject = _("%(organization)s: monthly report %(month)s") % {"organization": organization.name, "month": month}
        text = render_to_string("reports/email/report.txt", context)
        html = render_to_string("reports/email/report.html", context)
    pdf = report_pdf_get(report=report, language=delivery.language)
    message = EmailMultiAlternatives(
        subject=subject, body=text, to=[delivery.email], headers={"Message-ID": _message_id(delivery)}
    )
    message.attach_alternative(html, "text/html")
    message.attach(pdf_filename(report, language=delivery.language), pdf, "application/pdf")
    return message


def delivery_send(*, delivery_id: int) -> bool:
    """Send one pending delivery, claimed first so that it is sent once. True if it was sent now."""
    delivery = (
        ReportDelivery.objects.select_related("report", "report__organization", "report__journey", "user")
        .filter(pk=delivery_id, state=ReportDelivery.State.PENDING)
        .first()
    )
    if delivery is None:
        return False
    # Build the message (PDF, rendering) before the claim, so the claimed window holds only the SMTP conversation.
    message = delivery_message(delivery)
    claimed_at = timezone.now()
    claimed = ReportDelivery.objects.filter(pk=delivery_id, state=ReportDelivery.State.PENDING).update(
        state=ReportDelivery.State.SENDING, claimed_at=claimed_at, attempts=F("attempts") + 1
    )
    if not claimed:
        return False  # another worker has it
    try:
        message.connection = get_connection(timeout=settings.EMAIL_TIMEOUT or SMTP_TIMEOUT)
        message.send()
    except Exception as exc:  # recorded on the row; retried by the sweep up to MAX_ATTEMPTS
        logger.warning("report delivery %s: sending failed", delivery_id, exc_info=True)
        attempts = ReportDelivery.objects.filter(pk=delivery_id).values_list("attempts", flat=True).first() or 0
        state = ReportDelivery.State.PENDING if attempts < MAX_ATTEMPTS else ReportDelivery.State.FAILED
        ReportDelivery.objects.filter(pk=delivery_id, state=ReportDelivery.State.SENDING).update(
            state=state, error=str(exc)[:1000]
        )
        return False
    ReportDelivery.objects.filter(pk=delivery_id, state=ReportDelivery.State.SENDING).update(
        state=ReportDelivery.State.SENT, sent_at=timezone.now(), error=""
    )
    return True


def delivery_mark_read(*, report: MonthlyReport, user) -> bool:
    """The recipient opened the report (page or PDF): stamp their sent delivery's read time, the first time only
    (a conditional UPDATE: a second visit, or two at once, change nothing). True if it was stamped now."""
    if user is None or not user.is_authenticated:
        return False
    return bool(
        ReportDelivery.objects.filter(
            organization_id=report.organization_id,
            report_id=report.pk,
            user_id=user.pk,
            state=ReportDelivery.State.SENT,
            read_at__isnull=True,
        ).update(read_at=timezone.now())
    )


def deliveries_sweep(*, now: dt.datetime | None = None, stale_after: dt.timedelta | None = None) -> dict[str, int]:
    """Recover lost work: reopen sends whose worker died, finish recent reports, queue every pending delivery.

    Reports generated within SWEEP_REPORTS_WITHIN get their missing PDF and delivery rows (a task lost with the
    broker); so a member who subscribes in those days also receives that month's report, once.
    """
    now = now or timezone.now()
    stale = now - (STALE_AFTER if stale_after is None else stale_after)
    stuck = ReportDelivery.objects.filter(state=ReportDelivery.State.SENDING, claimed_at__lt=stale)
    # At-least-once for a worker that died mid-send (see the module docstring), a bounded number of times.
    given_up = stuck.filter(attempts__gte=MAX_ATTEMPTS).update(
        state=ReportDelivery.State.FAILED, error=_("The worker sending it stopped; no attempts left.")
    )
    reopened = stuck.filter(attempts__lt=MAX_ATTEMPTS).update(state=ReportDelivery.State.PENDING)

    recent = MonthlyReport.objects.filter(
        status=MonthlyReport.Status.READY, generated_at__gte=now - SWEEP_REPORTS_WITHIN
    )
    missing_pdf = list(recent.filter(pdf__isnull=True).values_list("pk", flat=True))
    for report_id in missing_pdf:
        try:
            report_pdf_store(report_id=report_id)
        except Exception:
            logger.exception("report %s: the PDF could not be stored", report_id)
    scheduled = recent.filter(trigger=MonthlyReport.Trigger.SCHEDULE, journey__isnull=True)
    for report_id in scheduled.values_list("pk", flat=True):
        report_deliveries_create(report_id=report_id)

    pending = list(
        ReportDelivery.objects.filter(state=ReportDelivery.State.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    deliveries_enqueue(delivery_ids=pending)
    return {"reopened": reopened, "failed": given_up, "pdfs": len(missing_pdf), "queued": len(pending)}


# --- subscriptions -----------------------------------------------------------------------------------------------


def subscription_language_set(*, ctx: OrgContext, user_id: int, language: str) -> ReportSubscription:
    """Record the language of a member's report e-mails ("" = the organization's); the member or an admin."""
    if language and language not in dict(settings.LANGUAGES):
        raise ValueError(f"unknown language {language!r}")
    if user_id != getattr(ctx.user, "pk", None):
        ctx.require({Role.ADMIN})
    membership = Membership.objects.for_org(ctx.organization).filter(user_id=user_id).first()
    if membership is None:
        raise PermissionDenied
    row, _created = ReportSubscription.objects.update_or_create(
        organization=ctx.organization,
        user_id=user_id,
        defaults={"language": language},
        # A first row keeps what applied so far: choosing a language subscribes or unsubscribes nobody.
        create_defaults={"language": language, "subscribed": selectors.subscribed_by_default(membership.role)},
    )
    return row


def subscription_set(*, ctx: OrgContext, user_id: int, subscribed: bool) -> ReportSubscription:
    """Record a member's choice (the member themself, or an admin for anyone in the organization)."""
    if user_id != getattr(ctx.user, "pk", None):
        ctx.require({Role.ADMIN})
    if not Membership.objects.for_org(ctx.organization).filter(user_id=user_id).exists():
        raise PermissionDenied
    ReportSubscription.objects.update_or_create(
        organization=ctx.organization, user_id=user_id, defaults={"subscribed": subscribed}
    )
    return ReportSubscription.objects.get(organization=ctx.organization, user_id=user_id)

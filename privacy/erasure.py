"""Erasing customers: identity gone everywhere, statistics kept.

What happens to each kind of data (one transaction per batch of customers of one organization):
- responses and answers stay (scores, dates, touchpoint, journey, language, channel) without the customer link;
  free-text answers (comments) are replaced by a mask; idempotency keys that quote the person are dropped;
- invitations (personal links) are deleted; contact decisions keep decision and reason, lose customer and id;
- feedback cases stay (status, times, root cause: the closed-loop statistics) without the customer; the
  resolution, notes and contact-attempt notes have the person's name, parts of it, e-mail, phone, id numbers and
  comment text masked;
- revenue and churn facts and consent events are deleted with the customer row;
- monthly reports quoting the person's comments get the quote masked and their page rendered again from the
  masked figures (their stored PDF is dropped and rendered again on the next download);
- uploaded import files and error reports naming the person are deleted (the import's counts stay);
- every other organization-owned table (including ones added later) is swept for the strong identifiers;
- rollups are not touched and nothing is marked for recomputation: the answers keep their scores, days and
  touchpoints, so every figure stays as it was.
"""

from __future__ import annotations

import io
import logging
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import models, transaction

from actions.models import CaseEvent, ContactAttempt, FeedbackCase
from audit.models import AuditEvent
from audit.services import audit_redact
from core.masking import MASK
from customers.models import Customer
from imports.models import ImportJob
from outbox.models import OutboxMessage
from privacy import generic
from privacy.models import ConsentEvent
from privacy.scrub import Needles, mask_note, mentions, scrub_value
from reports.models import MonthlyReport
from surveys.models import Answer, ContactDecision, Invitation, Response
from value.models import ChurnEvent, CustomerRevenue
from voice.services import analyses_forget_text

logger = logging.getLogger(__name__)


@dataclass
class ErasureOutcome:
    customer_ids: list[int]
    counts: dict[str, int] = field(default_factory=dict)
    other_tables: dict[str, int] = field(default_factory=dict)
    leftovers: dict[str, int] = field(default_factory=dict)
    files_to_delete: list[str] = field(default_factory=list)
    report_ids: list[int] = field(default_factory=list)


def _needles(customers: list[Customer], comments: list[str]) -> Needles:
    needles = Needles()
    for c in customers:
        needles.add_person(name=c.name, email=c.email, phone=c.phone, external_id=c.external_id)
    for text in comments:
        needles.add_comment(text)
    return needles


def customers_erase(*, organization_id: int, customer_ids: list[int]) -> ErasureOutcome:
    """Erase these customers of one organization (call inside a transaction; see the module docstring)."""
    customers = list(Customer.objects.select_for_update().filter(organization_id=organization_id, pk__in=customer_ids))
    ids = [c.pk for c in customers]
    out = ErasureOutcome(customer_ids=ids)
    if not ids:
        return out
    external_ids = [c.external_id for c in customers]
    responses = Response.objects.filter(organization_id=organization_id, customer_id__in=ids)
    response_ids = list(responses.values_list("pk", flat=True))
    answers = Answer.objects.filter(organization_id=organization_id, response_id__in=response_ids)
    comments = list(answers.exclude(text="").values_list("text", flat=True))
    needles = _needles(customers, comments)
    strong, weak = needles.pattern(), needles.pattern(weak=True)
    counts = out.counts

    # Surveys. Updates, not saves: no signal marks a rollup dirty (scores, days and touchpoints do not change).
    counts["comments_masked"] = answers.exclude(text="").exclude(text=MASK).update(text=MASK)
    # Their analyses (voice) lose the text too: masked text, sentences, sentiment words, search vector.
    analyses_forget_text(organization_id=organization_id, response_ids=response_ids)
    answers.exclude(customer=None).update(customer=None)
    Answer.objects.filter(organization_id=organization_id, customer_id__in=ids).update(customer=None)
    for pk, key in responses.exclude(idempotency_key=None).values_list("pk", "idempotency_key"):
        if weak is not None and weak.search(key):
            Response.objects.filter(pk=pk).update(idempotency_key=None)
    counts["responses_unlinked"] = responses.update(customer=None)
    counts["invitations_deleted"], _ = Invitation.objects.filter(
        organization_id=organization_id, customer_id__in=ids
    ).delete()
    decisions = ContactDecision.objects.filter(organization_id=organization_id).filter(
        models.Q(customer_id__in=ids) | models.Q(customer_external_id__in=external_ids)
    )
    n = 0
    for row in decisions.values("pk", "message", "idempotency_key"):
        key = row["idempotency_key"]
        ContactDecision.objects.filter(pk=row["pk"]).update(
            customer=None,
            customer_external_id="",
            message=mask_note(row["message"], weak)[:300],
            idempotency_key=None if key and weak is not None and weak.search(key) else key,
        )
        n += 1
    counts["contact_decisions_anonymised"] = n

    # Feedback cases: kept for the closed-loop figures, without the person.
    cases = FeedbackCase.objects.filter(organization_id=organization_id).filter(
        models.Q(customer_id__in=ids) | models.Q(response_id__in=response_ids)
    )
    case_ids = list(cases.values_list("pk", flat=True))
    for pk, resolution in cases.values_list("pk", "resolution"):
        FeedbackCase.objects.filter(pk=pk).update(customer=None, resolution=mask_note(resolution, weak))
    counts["cases_anonymised"] = len(case_ids)
    n = 0
    for row in CaseEvent.objects.filter(case_id__in=case_ids).values("pk", "note", "old_value", "new_value"):
        new = {
            "note": mask_note(row["note"], weak),
            "old_value": mask_note(row["old_value"], weak)[:255],
            "new_value": mask_note(row["new_value"], weak)[:255],
        }
        if any(new[k] != row[k] for k in new):
            CaseEvent.objects.filter(pk=row["pk"]).update(**new)
            n += 1
    counts["case_notes_masked"] = n
    n = 0
    for pk, note in ContactAttempt.objects.filter(case_id__in=case_ids).values_list("pk", "note"):
        masked = mask_note(note, weak)
        if masked != note:
            ContactAttempt.objects.filter(pk=pk).update(note=masked)
            n += 1
    counts["contact_notes_masked"] = n

    # Facts about the person: deleted (they would go with the customer row anyway; counted here).
    counts["revenue_rows_deleted"], _ = CustomerRevenue.objects.filter(customer_id__in=ids).delete()
    counts["churn_events_deleted"], _ = ChurnEvent.objects.filter(customer_id__in=ids).delete()
    counts["consent_events_deleted"], _ = ConsentEvent.objects.filter(customer_id__in=ids).delete()

    out.report_ids = reports_mask(organization_id=organization_id, pattern=strong, quotes=needles)
    counts["reports_rewritten"] = len(out.report_ids)
    out.files_to_delete = _import_files_naming(organization_id, needles.strong)
    counts["import_files_deleted"] = len(out.files_to_delete)
    counts["admin_log_entries"] = _admin_log_anonymise(ids)

    # E-mails to the person not sent yet (a reply to their feedback) are cancelled, not left to fail on a masked
    # address; then masked like every row addressed to them.
    counts["emails_cancelled"] = OutboxMessage.objects.filter(
        organization_id=organization_id,
        recipient__in=[c.email for c in customers if c.email],
        status__in=[OutboxMessage.Status.PENDING, OutboxMessage.Status.FAILED],
    ).update(status=OutboxMessage.Status.CANCELLED)
    addressed = generic.sweep_rows_addressed_to(
        organization_id=organization_id, emails={c.email for c in customers}, pattern=weak
    )
    out.other_tables = generic.sweep(organization_id=organization_id, values=needles.strong)
    for label, n in addressed.items():
        out.other_tables[label] = out.other_tables.get(label, 0) + n
    counts["audit_labels_redacted"] = _audit_redact(organization_id, needles.strong)
    counts["other_rows_masked"] = sum(out.other_tables.values())
    _deleted, by_model = Customer.objects.filter(pk__in=ids).delete()
    counts["customers_deleted"] = by_model.get(Customer._meta.label, 0)
    out.leftovers = generic.leftovers(organization_id=organization_id, values=needles.strong)
    in_audit = AuditEvent.objects.filter(organization_id=organization_id).filter(
        _contains_any("target_label", needles.strong)
    )
    if in_audit.exists():
        out.leftovers["audit.auditevent"] = in_audit.count()
    return out


def reports_mask(*, organization_id: int, pattern, quotes: Needles | None = None, before=None) -> list[int]:
    """Mask quotes in the organization's monthly reports and render their pages again. `quotes`: the person's
    comments (exact voice texts are masked whatever their length); `before`: mask every voice of months before it
    (comment retention). Returns the ids of the reports changed."""
    from reports.rendering import render_report_body

    exact = {q.casefold() for q in (quotes.strong | quotes.weak)} if quotes is not None else set()
    changed = []
    reports = MonthlyReport.objects.filter(organization_id=organization_id, status=MonthlyReport.Status.READY)
    for report in reports.select_related("organization", "journey").defer("pdf").iterator():
        figures = report.figures or {}
        voices = figures.get("voices") or []
        new_voices = []
        for voice in voices:
            text = voice.get("text", "")
            if text and text != MASK and (text.strip().casefold() in exact or (before and report.month < before)):
                voice = {**voice, "text": MASK}
            new_voices.append(voice)
        new_figures = scrub_value({**figures, "voices": new_voices} if voices else figures, pattern)
        if new_figures == figures:
            continue
        report.figures = new_figures
        html = render_report_body(report, language=report.language or report.organization.default_language)
        MonthlyReport.objects.filter(pk=report.pk).update(figures=new_figures, html=html, pdf=None)
        changed.append(report.pk)
    if changed:
        transaction.on_commit(lambda: _forget_cached_pdfs(changed))
    return changed


def _forget_cached_pdfs(report_ids: list[int]) -> None:
    # reports.delivery.services caches PDFs in other languages under reports:pdf:<pk>:v<version>:<language>.
    for pk, version in MonthlyReport.objects.filter(pk__in=report_ids).values_list("pk", "version"):
        try:
            cache.delete_many([f"reports:pdf:{pk}:v{version}:{code}" for code, _name in settings.LANGUAGES])
        except Exception:
            logger.warning("could not forget cached PDFs of report %s", pk)


def _file_text(file) -> bytes:
    with file.open("rb") as handle:
        data = handle.read()
    if data[:2] == b"PK":  # XLSX: the cell texts are in the XML parts
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return b"\n".join(archive.read(n) for n in archive.namelist() if n.endswith(".xml"))
        except zipfile.BadZipFile:
            return data
    return data


def _import_files_naming(organization_id: int, values: set[str]) -> list[str]:
    """Clear the stored files (uploads, error reports) that name the person; return their storage names so the
    caller deletes them after the commit."""
    names = []
    if not values:
        return names
    jobs = ImportJob.objects.filter(organization_id=organization_id).exclude(
        status__in=(ImportJob.Status.PENDING, ImportJob.Status.RUNNING)
    )
    for job in jobs.only("pk", "file", "error_report"):
        clear = {}
        for name in ("file", "error_report"):
            stored = getattr(job, name)
            if not stored:
                continue
            try:
                named = mentions(_file_text(stored), values)
            except (OSError, ValueError):
                continue  # the file is gone already
            if named:
                names.append(stored.name)
                clear[name] = ""
        if clear:
            ImportJob.objects.filter(pk=job.pk).update(**clear)
    return names


def delete_files(names: list[str]) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.warning("could not delete stored file %s", name)


def _contains_any(field_name: str, values: set[str]) -> models.Q:
    q = models.Q(pk__in=[])
    for v in values:
        q |= models.Q(**{f"{field_name}__icontains": v})
    return q


def _audit_redact(organization_id: int, values: set[str]) -> int:
    """The audit log is append-only; its own redaction masks the labels and filters that quote the person (who did
    what, when, to which object id stays)."""
    if not values:
        return 0
    return audit_redact(organization_id=organization_id, values=sorted(values), replacement=MASK)


def _admin_log_anonymise(ids: list[int]) -> int:
    content_type = ContentType.objects.get_for_model(Customer)
    return LogEntry.objects.filter(content_type=content_type, object_id__in=[str(i) for i in ids]).update(
        object_repr=models.functions.Concat(models.Value("customer #"), "object_id"), change_message=""
    )

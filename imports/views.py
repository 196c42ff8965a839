from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.scoping import WRITE_PROGRAM_ROLES, org_required
from imports import selectors, services
from imports.forms import ImportMappingForm, ImportUploadForm
from imports.mappings import saved_mapping_get
from imports.models import ImportJob
from imports.registry import ImportFileError, ImportHandler, get_handler
from imports.samples import sample_csv_content


@org_required(WRITE_PROGRAM_ROLES)
def job_list(request: HttpRequest) -> HttpResponse:
    jobs = selectors.import_job_list(ctx=request.org)[:50]
    return render(request, "imports/job_list.html", {"jobs": jobs})


@org_required(WRITE_PROGRAM_ROLES)
def job_create(request: HttpRequest) -> HttpResponse:
    form = ImportUploadForm(
        request.POST or None, request.FILES or None, initial={"kind": request.GET.get("kind", ImportJob.Kind.CUSTOMERS)}
    )
    if request.method == "POST" and form.is_valid():
        try:
            job = services.import_job_create(
                ctx=request.org, kind=form.cleaned_data["kind"], uploaded_file=form.cleaned_data["file"]
            )
        except ImportFileError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("imports:job_mapping", pk=job.pk)
    kind = form["kind"].value() or ImportJob.Kind.CUSTOMERS
    try:
        handler = get_handler(kind)
    except ImportFileError:
        handler = None
    return render(
        request,
        "imports/job_create.html",
        {"form": form, "handler": handler, "kind": kind, "max_mb": settings.IMPORT_MAX_BYTES // (1024 * 1024)},
    )


@org_required(WRITE_PROGRAM_ROLES)
def sample_csv(request: HttpRequest, kind: str) -> HttpResponse:
    try:
        handler = get_handler(kind)
    except ImportFileError:
        raise Http404 from None
    response = HttpResponse(sample_csv_content(handler), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{kind}-sample.csv"'
    return response


@org_required(WRITE_PROGRAM_ROLES)
def job_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 2 of an import: the file's first rows, a field (or ignore) per column, the file-wide options."""
    job = selectors.import_job_get(ctx=request.org, pk=pk)
    handler = _registry_handler(job)
    if handler is None or not job.needs_mapping:
        return redirect("imports:job_detail", pk=job.pk)
    header: list[str] = job.options.get("header") or []
    saved = saved_mapping_get(ctx=request.org, kind=job.kind, header=header) or {}
    reused_at = None
    if len(saved.get("fields") or []) == len(header):
        known = {c.name for c in handler.columns}
        fields = [name if name in known else None for name in saved["fields"]]
        reused_at = parse_datetime(saved.get("saved_at") or "")
    else:
        fields = handler.guess_mapping(header)
    form = ImportMappingForm(
        request.POST or None, handler=handler, header=header, fields=fields, options=saved.get("options")
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.import_job_start(ctx=request.org, job=job, mapping=form.mapping_result)
        except ImportFileError as exc:
            messages.error(request, str(exc))
        return redirect("imports:job_detail", pk=job.pk)
    preview = job.options.get("preview") or {}
    unmatched = [cell for cell, name in zip(header, fields, strict=False) if name is None and cell.strip()]
    return render(
        request,
        "imports/job_mapping.html",
        {
            "job": job,
            "handler": handler,
            "form": form,
            "columns": form.column_fields(),
            "preview_rows": preview.get("rows", []),
            "preview": preview,
            "unmatched": unmatched,
            "reused_at": reused_at,
            "notes": handler.mapping_notes(request.org.organization),
        },
    )


@require_POST
@org_required(WRITE_PROGRAM_ROLES)
def job_discard(request: HttpRequest, pk: int) -> HttpResponse:
    """Throw away an upload that waits for its mapping (e.g. the wrong file); a started import stays."""
    job = selectors.import_job_get(ctx=request.org, pk=pk)
    if not services.import_job_discard(ctx=request.org, job=job):
        messages.error(request, _("This import was started already: it cannot be discarded."))
        return redirect("imports:job_detail", pk=job.pk)
    messages.success(request, _("The upload %(name)s was discarded.") % {"name": job.original_name})
    return redirect("imports:job_list")


def _registry_handler(job: ImportJob) -> ImportHandler | None:
    try:
        return get_handler(job.kind)
    except ImportFileError:
        return None  # responses have their own mapping page (surveys.ingestion)


@org_required(WRITE_PROGRAM_ROLES)
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.import_job_get(ctx=request.org, pk=pk)
    mapping_url = None
    if job.needs_mapping and job.kind == ImportJob.Kind.RESPONSES:
        mapping_url = reverse("surveys:response_import_map", args=[job.pk])  # the responses import's own step
    elif job.needs_mapping and _registry_handler(job) is not None:
        mapping_url = reverse("imports:job_mapping", args=[job.pk])
    return render(request, "imports/job_detail.html", {"job": job, "mapping_url": mapping_url})


@org_required(WRITE_PROGRAM_ROLES)
def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.import_job_get(ctx=request.org, pk=pk)
    return render(request, "imports/_job_progress.html", {"job": job})


@org_required(WRITE_PROGRAM_ROLES)
def job_error_report(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.import_job_get(ctx=request.org, pk=pk)
    if not job.error_report:
        raise Http404(_("This import has no error report."))
    return FileResponse(
        job.error_report.open("rb"), as_attachment=True, filename=f"import-{job.pk}-errors.csv", content_type="text/csv"
    )

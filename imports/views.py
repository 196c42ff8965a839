from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.scoping import WRITE_PROGRAM_ROLES, org_required
from imports import selectors, services
from imports.forms import ImportUploadForm
from imports.models import ImportJob
from imports.registry import ImportFileError, get_handler
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
            return redirect("imports:job_detail", pk=job.pk)
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
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.import_job_get(ctx=request.org, pk=pk)
    return render(request, "imports/job_detail.html", {"job": job})


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

"""Response explorer (list, detail, CSV/XLSX export) and the response import pages."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.scoping import WRITE_PROGRAM_ROLES, org_required
from kpis.metrics import nps_category
from surveys.ingestion import export, importer, selectors
from surveys.ingestion.forms import ResponseFilterForm
from surveys.ingestion.import_forms import ImportMappingForm, ImportUploadForm

PER_PAGE = 50
BAND_CSS = {"promoter": "text-bg-success", "passive": "text-bg-warning", "detractor": "text-bg-danger"}
MAX_PAGE = 2000  # deep OFFSETs get slow; past this, narrow the filters


def _filtered(request: HttpRequest):
    form = ResponseFilterForm(request.GET or None, ctx=request.org)
    filters = form.to_filters()
    return form, filters, selectors.response_list(ctx=request.org, filters=filters)


def _decorate(responses: list) -> list:
    """Attach what a list row shows, from the prefetched answers: scores, the NPS band, the first comment."""
    for response in responses:
        answers = list(response.answers.all())
        response.scores = [a for a in answers if a.value is not None]
        nps = next((a.value for a in answers if a.metric == "nps" and a.value is not None), None)
        response.nps = int(nps) if nps is not None else None
        response.band = nps_category(nps) if nps is not None else ""
        response.band_css = BAND_CSS.get(response.band, "text-bg-secondary")
        response.comment = next((a.text for a in answers if a.text), "")
    return responses


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("page", 1)), MAX_PAGE))
    except ValueError:
        return 1


@org_required()
def response_list(request: HttpRequest) -> HttpResponse:
    form, _filters, qs = _filtered(request)
    page = _page_number(request)
    # One row more than shown tells whether there is a next page, without COUNT(*) over millions of rows.
    window = list(qs[(page - 1) * PER_PAGE : page * PER_PAGE + 1])
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "responses": _decorate(window[:PER_PAGE]),
        "page": page,
        "has_previous": page > 1,
        "has_next": len(window) > PER_PAGE and page < MAX_PAGE,
        "query": query.urlencode(),
        "first_index": (page - 1) * PER_PAGE + 1,
        "xlsx_max_rows": export.xlsx_max_rows(),
    }
    template = "surveys/explorer/_results.html" if request.htmx else "surveys/explorer/response_list.html"
    return render(request, template, context)


@org_required()
def response_detail(request: HttpRequest, pk: int) -> HttpResponse:
    response = selectors.response_get(ctx=request.org, pk=pk)
    answers = list(response.answers.all())
    for answer in answers:
        answer.label = answer.question.text_in(get_language() or "", response.survey.default_language)
    context = {"response": _decorate([response])[0], "answers": answers}
    return render(request, "surveys/explorer/response_detail.html", context)


def _export_name(extension: str) -> str:
    return f"responses-{timezone.localdate().isoformat()}.{extension}"


@org_required()
def response_export_csv(request: HttpRequest) -> StreamingHttpResponse:
    _form, filters, qs = _filtered(request)
    columns = selectors.export_question_columns(ctx=request.org, survey_id=filters.survey_id)
    body = export.rows(qs, columns, selectors.org_timezone(request.org))
    response = StreamingHttpResponse(
        export.stream_csv(export.header(columns), body), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{_export_name("csv")}"'
    return response


@org_required()
def response_export_xlsx(request: HttpRequest) -> HttpResponse:
    _form, filters, qs = _filtered(request)
    limit = export.xlsx_max_rows()
    if qs.order_by()[: limit + 1].count() > limit:
        messages.error(
            request,
            _("More than %(n)s responses match: narrow the filters for Excel, or export CSV (no limit).")
            % {"n": f"{limit:,}"},
        )
        return redirect(f"{reverse('surveys:response_list')}?{request.GET.urlencode()}")
    columns = selectors.export_question_columns(ctx=request.org, survey_id=filters.survey_id)
    body = export.rows(qs, columns, selectors.org_timezone(request.org))
    return FileResponse(
        export.build_xlsx(export.header(columns), body),
        as_attachment=True,
        filename=_export_name("xlsx"),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


# -- import ------------------------------------------------------------------------------------------------------


@org_required(WRITE_PROGRAM_ROLES)
def response_import(request: HttpRequest) -> HttpResponse:
    form = ImportUploadForm(request.POST or None, request.FILES or None, ctx=request.org)
    if request.method == "POST" and form.is_valid():
        try:
            job = importer.response_import_create(
                ctx=request.org, version=form.cleaned_data["version"], uploaded_file=form.cleaned_data["file"]
            )
        except importer.ImportFileError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("surveys:response_import_map", pk=job.pk)
    return render(request, "surveys/explorer/import_upload.html", {"form": form})


@org_required(WRITE_PROGRAM_ROLES)
def response_import_map(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.pending_import_get(ctx=request.org, pk=pk)
    version = selectors.import_version(ctx=request.org, job=job)
    form = ImportMappingForm(request.POST or None, ctx=request.org, job=job, version=version)
    if request.method == "POST" and form.is_valid():
        importer.response_import_start(job=job, mapping=form.mapping())
        return redirect("imports:job_detail", pk=job.pk)
    return render(request, "surveys/explorer/import_map.html", {"form": form, "job": job, "version": version})

"""Response explorer: the filtered list with its summary, one response, saved filters, CSV/XLSX export."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.scoping import OrgContext, org_required
from core.metrics import nps_category
from core.numbers import format_number
from core.scales import NPS, measure_label
from core.scores import Score
from core.spreadsheets import stream_csv
from surveys.explorer import export, selectors, services
from surveys.explorer.forms import ResponseFilterForm, SavedFilterForm
from surveys.ingestion import selectors as ingestion_selectors

PER_PAGE = 50
BAND_CSS = {"promoter": "text-bg-success", "passive": "text-bg-warning", "detractor": "text-bg-danger"}
MAX_PAGE = 2000  # deep OFFSETs get slow; past this, narrow the filters


def _filtered(request: HttpRequest):
    form = ResponseFilterForm(request.GET or None, ctx=request.org)
    filters = form.to_filters()
    return form, filters, ingestion_selectors.response_list(ctx=request.org, filters=filters)


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


def _summary(ctx: OrgContext, qs) -> dict:
    """Totals of the filtered set: its responses and its score in the organization's primary metric and measure."""
    org = ctx.organization
    metric = org.primary_metric or NPS
    sums = selectors.response_summary(queryset=qs, metric=metric)
    score = Score(metric, sums, org.min_n, org.primary_measure)
    return {
        "responses": sums["responses"],
        "score": score,
        "label": measure_label(metric, score.measure_key),
        "min_n": org.min_n,
    }


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
        "summary": _summary(request.org, qs),
        "saved_query": form.canonical_query(),
        "filter_errors": form.filter_errors(),
    }
    if not request.htmx:
        context["saved_filters"] = list(selectors.saved_filter_list(ctx=request.org))
    template = "surveys/explorer/_results.html" if request.htmx else "surveys/explorer/response_list.html"
    return render(request, template, context)


@org_required()
@require_POST
def saved_filter_create(request: HttpRequest) -> HttpResponse:
    """Save the explorer's current filters under a name, then show the explorer with them."""
    form = SavedFilterForm(request.POST, ctx=request.org)
    back = reverse("surveys:response_list")
    if not form.is_valid():
        query = SavedFilterForm.query_of(request.POST, ctx=request.org)
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(f"{back}?{query}" if query else back)
    saved, created = services.saved_filter_save(
        ctx=request.org,
        name=form.cleaned_data["name"],
        query=form.cleaned_data["query"],
        shared=form.cleaned_data["shared"],
    )
    if created:
        messages.success(request, _("Filter “%(name)s” saved.") % {"name": saved.name})
    else:
        messages.success(request, _("Filter “%(name)s” updated.") % {"name": saved.name})
    return redirect(f"{back}?{saved.query}")


@org_required()
def saved_filter_apply(request: HttpRequest, pk: int) -> HttpResponse:
    saved = selectors.saved_filter_get(ctx=request.org, pk=pk)
    return redirect(f"{reverse('surveys:response_list')}?{saved.query}")


@org_required()
@require_POST
def saved_filter_delete(request: HttpRequest, pk: int) -> HttpResponse:
    saved = selectors.own_saved_filter_get(ctx=request.org, pk=pk)
    services.saved_filter_delete(saved=saved)
    messages.success(request, _("Filter “%(name)s” deleted.") % {"name": saved.name})
    return redirect("surveys:response_list")


@org_required()
def response_detail(request: HttpRequest, pk: int) -> HttpResponse:
    response = ingestion_selectors.response_get(ctx=request.org, pk=pk)
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
    body = export.rows(qs, columns, request.org.organization.zone)
    response = StreamingHttpResponse(stream_csv(export.header(columns), body), content_type="text/csv; charset=utf-8")
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
            % {"n": format_number(limit, grouping=True)},
        )
        return redirect(f"{reverse('surveys:response_list')}?{request.GET.urlencode()}")
    columns = selectors.export_question_columns(ctx=request.org, survey_id=filters.survey_id)
    body = export.rows(qs, columns, request.org.organization.zone)
    return FileResponse(
        export.build_xlsx(export.header(columns), body),
        as_attachment=True,
        filename=_export_name("xlsx"),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )

"""Response import pages: upload a file, map its columns (or split it between two versions), cancel."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.scoping import WRITE_PROGRAM_ROLES, org_required
from imports.mappings import saved_mapping_get
from imports.models import ImportJob
from surveys.ingestion import importers, selectors
from surveys.ingestion.importers import preview as import_preview
from surveys.ingestion.importers.forms import ImportMappingForm, ImportSplitForm, ImportUploadForm


@org_required(WRITE_PROGRAM_ROLES)
def response_import(request: HttpRequest) -> HttpResponse:
    form = ImportUploadForm(request.POST or None, request.FILES or None, ctx=request.org)
    if request.method == "POST" and form.is_valid():
        try:
            job = importers.response_import_create(
                ctx=request.org, version=form.cleaned_data["version"], uploaded_file=form.cleaned_data["file"]
            )
        except importers.ImportFileError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("surveys:response_import_map", pk=job.pk)
    return render(request, "surveys/explorer/import_upload.html", {"form": form})


def _mapping_page(request: HttpRequest, job, version, form, *, split_form=None, scan=None, status=200):
    form.attach_checks(scan or form.sample)
    check = job.options.get("scale_check")
    context = {
        "form": form,
        "job": job,
        "version": version,
        "preview": import_preview.first_rows(job),
        "check": check,
        "split_form": split_form
        or (
            ImportSplitForm(ctx=request.org, check=check, mapping=job.options.get("proposed_mapping") or {})
            if check
            else None
        ),
        "whole_file": scan is not None,
        "scan": scan,
        "sample_values": {
            str(i): dict(values.counts.most_common(60))
            for i, values in (form.sample.columns.items() if form.sample else [])
        },
        "question_scales": {
            code: {"kind": q.kind, "low": (q.scale or (None, None))[0], "high": (q.scale or (None, None))[1]}
            for code, q in form.questions.items()
        },
    }
    return render(request, "surveys/explorer/import_map.html", context, status=status)


def _mapping_form(request: HttpRequest, job, version, data=None):
    saved = job.options.get("proposed_mapping")
    reused = saved is None
    if saved is None:
        saved = saved_mapping_get(
            ctx=request.org, kind=ImportJob.Kind.RESPONSES, header=list(job.options.get("header") or [])
        )
    form = ImportMappingForm(
        data, ctx=request.org, job=job, version=version, sample=import_preview.sample(job), saved=saved
    )
    if not reused:
        form.saved_on = None  # the proposal of this very upload, not a mapping from an earlier file
    return form


@org_required(WRITE_PROGRAM_ROLES)
def response_import_map(request: HttpRequest, pk: int) -> HttpResponse:
    """The mapping step: the file's first rows, one row per column; check the whole file, or start the import."""
    job = selectors.pending_import_get(ctx=request.org, pk=pk)
    version = selectors.import_version(ctx=request.org, job=job)
    form = _mapping_form(request, job, version, request.POST or None)
    if request.method != "POST" or not form.is_valid():
        return _mapping_page(request, job, version, form)
    mapping = form.mapping()
    scan, check = import_preview.whole_file(ctx=request.org, job=job, version=version, mapping=mapping)
    if check is not None:
        # The values change scale over time: stop here and let the user split the file between two versions.
        importers.response_import_hold(job=job, mapping=mapping, check=check)
        return redirect("surveys:response_import_map", pk=job.pk)
    if request.POST.get("action") == "check":
        return _mapping_page(request, job, version, form, scan=scan)
    importers.response_import_start(job=job, mapping=mapping, ctx=request.org)
    return redirect("imports:job_detail", pk=job.pk)


@org_required(WRITE_PROGRAM_ROLES)
@require_POST
def response_import_split(request: HttpRequest, pk: int) -> HttpResponse:
    """Import a file whose scale changed as two jobs: rows before the date into one version, the rest into another."""
    job = selectors.held_import_get(ctx=request.org, pk=pk)
    mapping = job.options["proposed_mapping"]
    form = ImportSplitForm(request.POST, ctx=request.org, check=job.options["scale_check"], mapping=mapping)
    if not form.is_valid():
        version = selectors.import_version(ctx=request.org, job=job)
        mapping_form = _mapping_form(request, job, version)
        return _mapping_page(request, job, version, mapping_form, split_form=form, status=400)
    first, second = importers.response_import_split(
        ctx=request.org,
        job=job,
        mapping=mapping,
        split_on=form.cleaned_data["split_on"],
        before=form.cleaned_data["before_version"],
        after=form.cleaned_data["after_version"],
    )
    messages.success(
        request,
        _("Two imports started: rows before %(day)s as import #%(first)s, rows from that day on as import #%(second)s.")
        % {
            "day": date_format(form.cleaned_data["split_on"], "SHORT_DATE_FORMAT"),
            "first": first.pk,
            "second": second.pk,
        },
    )
    return redirect("imports:job_detail", pk=first.pk)


@org_required(WRITE_PROGRAM_ROLES)
@require_POST
def response_import_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.pending_import_get(ctx=request.org, pk=pk)
    importers.response_import_cancel(job=job)
    messages.info(request, _("The import was cancelled; nothing was imported."))
    return redirect("surveys:response_list")

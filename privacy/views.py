"""Privacy pages for administrators: find a person, see what is held, export, erase; retention; consent."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.scoping import MANAGE_ORG_ROLES, org_required
from audit.actions import CUSTOMER_VIEW
from audit.services import audit_record
from privacy import selectors, services
from privacy.forms import ConsentForm, EraseForm, FindForm, RetentionPolicyForm
from privacy.models import RetentionRun

# What a retention run's counts are called on the page.
COUNT_LABELS = {
    "import_files_deleted": _lazy("import files deleted"),
    "comments_masked": _lazy("comments masked"),
    "reports_rewritten": _lazy("reports rewritten"),
    "customers_erased": _lazy("customers erased"),
    "leftover_rows": _lazy("rows left naming them"),
    "audit_events_deleted": _lazy("audit entries deleted"),
}


def _run_rows(runs: list[RetentionRun]) -> list[tuple[RetentionRun, list[tuple[str, int]]]]:
    return [(run, [(str(COUNT_LABELS.get(k, k)), n) for k, n in run.counts.items()]) for run in runs]


def _runs_context(request: HttpRequest) -> dict:
    runs = selectors.retention_runs(ctx=request.org)
    return {"runs": _run_rows(runs), "runs_unfinished": any(run.is_unfinished for run in runs)}


def _home_context(request: HttpRequest, **extra) -> dict:
    ctx = request.org
    policy = selectors.retention_policy_for(ctx=ctx)
    return {
        "find_form": FindForm(),
        "policy_form": RetentionPolicyForm(instance=policy),
        "policy": policy,
        **_runs_context(request),
        "erasures": selectors.erasure_records(ctx=ctx),
        **extra,
    }


@org_required(MANAGE_ORG_ROLES)
@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    """Find a person (POST, so no identifier ends up in a URL or an access log), the policy and the last runs."""
    extra = {}
    if request.method == "POST":
        form = FindForm(request.POST)
        extra["find_form"] = form
        if form.is_valid():
            extra["matches"] = selectors.subjects_find(ctx=request.org, query=form.cleaned_data["q"])
            extra["searched"] = True
    context = _home_context(request)
    context.update(extra)
    return render(request, "privacy/home.html", context)


@org_required(MANAGE_ORG_ROLES)
@require_safe
def subject(request: HttpRequest, customer_pk: int) -> HttpResponse:
    customer = selectors.subject_get(ctx=request.org, pk=customer_pk)
    # The page shows the person's data: its reading is logged like a customer page's, labelled without the identity.
    audit_record(
        action=CUSTOMER_VIEW,
        ctx=request.org,
        target_type="customers.customer",
        target_id=customer.pk,
        target_label=services.subject_label(customer.pk),
        detail={"part": "privacy"},
        request=request,
    )
    return render(
        request,
        "privacy/subject.html",
        {
            "customer": customer,
            "summary": selectors.subject_summary(customer=customer),
            "consents": selectors.consent_history(ctx=request.org, customer=customer)[:50],
            "consent_form": ConsentForm(),
            "erase_form": EraseForm(expected=customer.external_id),
        },
    )


@org_required(MANAGE_ORG_ROLES)
@require_POST
def subject_export(request: HttpRequest, customer_pk: int) -> HttpResponse:
    customer = selectors.subject_get(ctx=request.org, pk=customer_pk)
    content = services.subject_export(ctx=request.org, customer=customer, request=request)
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{services.subject_export_filename(customer)}"'
    return response


@org_required(MANAGE_ORG_ROLES)
@require_http_methods(["GET", "POST"])
def subject_erase(request: HttpRequest, customer_pk: int) -> HttpResponse:
    customer = selectors.subject_get(ctx=request.org, pk=customer_pk)
    form = EraseForm(request.POST or None, expected=customer.external_id)
    if request.method == "POST" and form.is_valid():
        record = services.subject_erase(ctx=request.org, customer=customer, request=request)
        messages.success(
            request,
            _("%(subject)s was erased: %(responses)s responses kept without them, %(cases)s cases anonymised.")
            % {
                "subject": services.subject_label(customer_pk),
                "responses": record.counts.get("responses_unlinked", 0),
                "cases": record.counts.get("cases_anonymised", 0),
            },
        )
        return redirect("privacy:home")
    return render(
        request,
        "privacy/erase.html",
        {"customer": customer, "erase_form": form, "summary": selectors.subject_summary(customer=customer)},
        status=400 if request.method == "POST" else 200,
    )


@org_required(MANAGE_ORG_ROLES)
@require_POST
def subject_consent(request: HttpRequest, customer_pk: int) -> HttpResponse:
    customer = selectors.subject_get(ctx=request.org, pk=customer_pk)
    form = ConsentForm(request.POST)
    if form.is_valid():
        services.consent_set(
            ctx=request.org,
            customer=customer,
            kind=form.cleaned_data["kind"],
            granted=form.cleaned_data["granted"],
            source=form.cleaned_data["source"],
            request=request,
        )
        messages.success(request, _("Consent change recorded."))
    else:
        messages.error(request, _("Choose a consent and whether it is granted."))
    return redirect("privacy:subject", customer_pk=customer.pk)


@org_required(MANAGE_ORG_ROLES)
@require_POST
def retention_policy(request: HttpRequest) -> HttpResponse:
    policy = selectors.retention_policy_for(ctx=request.org)
    form = RetentionPolicyForm(request.POST, instance=policy)
    if form.is_valid():
        services.retention_policy_save(
            ctx=request.org,
            request=request,
            **{name: form.cleaned_data[name] for name in RetentionPolicyForm.Meta.fields},
        )
        messages.success(request, _("Retention policy saved. It is applied every night."))
        return redirect("privacy:home")
    return render(request, "privacy/home.html", {**_home_context(request), "policy_form": form}, status=400)


@org_required(MANAGE_ORG_ROLES)
@require_POST
def retention_run_now(request: HttpRequest) -> HttpResponse:
    """Queue a run for a worker; the page follows its progress (in the demo, without a broker, it has run already)."""
    run, created = services.retention_run_request(ctx=request.org, request=request)
    run.refresh_from_db()
    if not created:
        messages.info(request, _("A retention run is already queued or running; its progress is shown below."))
    elif run.state == RetentionRun.State.DONE:
        messages.success(request, _("Retention policy applied."))
    elif run.state == RetentionRun.State.FAILED:
        messages.error(request, _("The retention run failed; see its report below."))
    else:
        messages.success(request, _("Retention run queued. Its progress is shown below."))
    return redirect("privacy:home")


@org_required(MANAGE_ORG_ROLES)
@require_safe
def retention_runs(request: HttpRequest) -> HttpResponse:
    """The runs' table alone: polled by the page while a run is queued or running."""
    return render(request, "privacy/_retention_runs.html", _runs_context(request))

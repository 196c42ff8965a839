"""Distribution pages: links and QR codes per touchpoint, personal invitations, the contact-decision log."""

from __future__ import annotations

from collections import Counter

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.scoping import WRITE_PROGRAM_ROLES, org_required
from surveys.builder import selectors as builder_selectors
from surveys.distribution import selectors, services
from surveys.distribution.forms import DecisionFilterForm, InviteForm
from surveys.distribution.qr import qr_image
from surveys.models import ContactDecision, Survey

DECISION_READERS = frozenset({Role.ADMIN, Role.CX_MANAGER, Role.EXECUTIVE})


def _staff_survey_link_guard(request: HttpRequest, survey: Survey) -> None:
    """The anonymous link of an employee or leadership survey is shared by CX managers and admins only: anyone else
    holding it could answer as a leader (and alone reach a perception survey's anonymity floor)."""
    if survey.kind in Survey.INTERNAL_KINDS and not request.org.can_edit_program:
        raise PermissionDenied


@org_required()
def survey_links(request: HttpRequest, pk: int) -> HttpResponse:
    survey = builder_selectors.survey_get(ctx=request.org, pk=pk)
    _staff_survey_link_guard(request, survey)
    links = list(selectors.link_list(ctx=request.org, survey=survey))
    covered = {link.touchpoint_id for link in links if link.is_active}
    missing = [tp for tp in survey.touchpoints.all() if tp.pk not in covered]
    for link in links:
        link.url = services.link_url(link)
    return render(
        request,
        "surveys/distribution/links.html",
        {
            "survey": survey,
            "links": links,
            "missing": missing,
            "general_missing": not links,
            "response_rate": selectors.survey_response_rate(ctx=request.org, survey=survey),
        },
    )


@org_required(WRITE_PROGRAM_ROLES)
@require_POST
def link_create(request: HttpRequest, pk: int) -> HttpResponse:
    survey = builder_selectors.survey_get(ctx=request.org, pk=pk)
    touchpoint = None
    if request.POST.get("touchpoint"):
        touchpoint = selectors.survey_touchpoint_get(ctx=request.org, survey=survey, pk=request.POST["touchpoint"])
    services.survey_link_get_or_create(survey=survey, touchpoint=touchpoint)
    messages.success(request, _("Link created."))
    return redirect("surveys:survey_links", pk=survey.pk)


@org_required(WRITE_PROGRAM_ROLES)
@require_POST
def link_revoke(request: HttpRequest, pk: int, link_pk: int) -> HttpResponse:
    survey = builder_selectors.survey_get(ctx=request.org, pk=pk)
    services.survey_link_revoke(link=selectors.link_get(ctx=request.org, survey=survey, pk=link_pk))
    messages.success(request, _("Link revoked: it no longer opens the survey."))
    return redirect("surveys:survey_links", pk=survey.pk)


@org_required()
def link_qr(request: HttpRequest, pk: int, link_pk: int, fmt: str) -> HttpResponse:
    if fmt not in ("svg", "png"):
        raise Http404
    survey = builder_selectors.survey_get(ctx=request.org, pk=pk)
    _staff_survey_link_guard(request, survey)
    link = selectors.link_get(ctx=request.org, survey=survey, pk=link_pk)
    content_type = "image/svg+xml" if fmt == "svg" else "image/png"
    response = HttpResponse(qr_image(services.link_url(link), kind=fmt), content_type=content_type)
    name = slugify(f"{survey.name}-{link.touchpoint.name if link.touchpoint else 'link'}") or "survey"
    disposition = "attachment" if request.GET.get("download") else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="qr-{name}.{fmt}"'
    return response


@org_required()
def invitation_list(request: HttpRequest, pk: int) -> HttpResponse:
    survey = builder_selectors.survey_get(ctx=request.org, pk=pk)
    form = InviteForm(request.POST or None, ctx=request.org, survey=survey)
    if request.method == "POST":
        request.org.require(WRITE_PROGRAM_ROLES)
        if form.is_valid():
            decisions = services.invitations_create(
                survey=survey, customers=form.cleaned_data["customers"], touchpoint=form.cleaned_data["touchpoint"]
            )
            invited = sum(1 for d in decisions if d.invited)
            reasons = Counter(d.get_reason_display() for d in decisions if not d.invited)
            summary = _("%(n)s invited.") % {"n": invited}
            if reasons:
                summary += " " + _("Not invited: %(list)s.") % {
                    "list": ", ".join(f"{reason} ({count})" for reason, count in reasons.items())
                }
            if form.cleaned_data.get("unknown_ids"):
                summary += " " + _("Unknown ids: %(ids)s.") % {"ids": ", ".join(form.cleaned_data["unknown_ids"])}
            messages.success(request, summary)
            return redirect("surveys:invitation_list", pk=survey.pk)
    page = Paginator(selectors.invitation_list(ctx=request.org, survey=survey), 50).get_page(request.GET.get("page"))
    context = {
        "survey": survey,
        "form": form,
        "page": page,
    }
    # One grouped query gives the rate per touchpoint and channel and, summed, the survey's.
    context["rate_groups"] = groups = selectors.response_rates_by_group(ctx=request.org, survey=survey)
    context["response_rate"] = selectors.ResponseRate(
        sent=sum(g.rate.sent for g in groups), responses=sum(g.rate.responses for g in groups)
    )
    return render(request, "surveys/distribution/invitations.html", context)


@org_required(DECISION_READERS)
def contact_decision_list(request: HttpRequest) -> HttpResponse:
    form = DecisionFilterForm(request.GET or None, ctx=request.org)
    qs = selectors.contact_decision_list(ctx=request.org, **form.filters())
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "surveys/distribution/contact_decisions.html",
        {"form": form, "page": page, "query": query.urlencode(), "Decision": ContactDecision.Decision},
    )


@org_required()
def customer_contact_decisions(request: HttpRequest, customer_pk: int) -> HttpResponse:
    """Fragment for the customer page: the latest contact decisions about one customer."""
    customer = selectors.customer_get(ctx=request.org, pk=customer_pk)
    decisions = selectors.contact_decisions_for_customer(ctx=request.org, customer=customer)
    return render(
        request, "surveys/distribution/_customer_decisions.html", {"customer": customer, "decisions": decisions}
    )

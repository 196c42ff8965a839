"""The report's PDF download and the monthly report subscription pages (everything through the org context)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.scoping import MANAGE_ORG_ROLES, org_required
from accounts.selectors import saved_languages
from reports.delivery import selectors, services
from reports.delivery.pdf import pdf_filename


def pdf_response(report, *, language: str | None) -> HttpResponse:
    if language not in dict(settings.LANGUAGES):
        language = report.language or report.organization.default_language
    pdf = services.report_pdf_get(report=report, language=language)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf_filename(report, language=language)}"'
    return response


@org_required()
def report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The report's PDF: the stored one, or (with ?lang=sv|nb|da|en) rendered once in that language and cached."""
    report = selectors.report_get_for_pdf(ctx=request.org, pk=pk)
    response = pdf_response(report, language=request.GET.get("lang"))
    services.delivery_mark_read(report=report, user=request.user)  # "reports read" in the program's health
    return response


def _wants(request: HttpRequest) -> bool | None:
    value = request.POST.get("subscribed")
    return {"1": True, "0": False}.get(value)


@org_required()
def subscription(request: HttpRequest) -> HttpResponse:
    """Whether I receive the monthly report e-mail; POST subscribed=1|0 changes it."""
    ctx = request.org
    if request.method == "POST" and "language" in request.POST:
        try:
            services.subscription_language_set(
                ctx=ctx, user_id=request.user.pk, language=request.POST.get("language", "")
            )
        except ValueError:
            return HttpResponse(status=400)
        messages.success(request, _("The language of your monthly report e-mail is saved."))
        return redirect("reports:subscription")
    if request.method == "POST":
        wanted = _wants(request)
        if wanted is None:
            return HttpResponse(status=400)
        services.subscription_set(ctx=ctx, user_id=request.user.pk, subscribed=wanted)
        if wanted:
            messages.success(request, _("You will receive the monthly report by e-mail."))
        else:
            messages.success(request, _("You will no longer receive the monthly report by e-mail."))
        return redirect("reports:subscription")
    return render(
        request,
        "reports/subscriptions/mine.html",
        {
            "row": selectors.subscription_mine(ctx=ctx),
            "can_manage": ctx.can_manage_org,
            "languages": settings.LANGUAGES,
            "organization_language": ctx.organization.default_language or settings.LANGUAGE_CODE,
            # What an empty choice means for this user: their saved language, else the organization's.
            "saved_language": saved_languages([request.user.pk]).get(request.user.pk, ""),
        },
    )


@org_required(MANAGE_ORG_ROLES)
def subscription_manage(request: HttpRequest) -> HttpResponse:
    """Admins: every member's subscription to the monthly report."""
    return render(request, "reports/subscriptions/manage.html", {"rows": selectors.subscription_list(ctx=request.org)})


@org_required(MANAGE_ORG_ROLES)
@require_POST
def subscription_member(request: HttpRequest, pk: int) -> HttpResponse:
    """Admins: subscribe or unsubscribe one member (a membership of the current organization)."""
    membership = selectors.membership_get_for_admin(ctx=request.org, pk=pk)
    wanted = _wants(request)
    if wanted is None:
        return HttpResponse(status=400)
    services.subscription_set(ctx=request.org, user_id=membership.user_id, subscribed=wanted)
    messages.success(request, _("Subscription of %(user)s saved.") % {"user": membership.user.get_username()})
    return redirect("reports:subscription_manage")

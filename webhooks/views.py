"""Pages of the webhooks app (organization admins only): endpoints, their secret, test events, the delivery log."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.scoping import MANAGE_ORG_ROLES, org_required
from webhooks import events, selectors, services
from webhooks.forms import DeliveryFilterForm, EndpointForm

# The endpoint whose secret the next detail page shows once (after create, rotate or "show secret").
SHOW_SECRET_KEY = "webhooks_show_secret"  # noqa: S105 (a session key)
LOG_PAGE_SIZE = 50


def _show_secret_once(request: HttpRequest, pk: int) -> None:
    request.session[SHOW_SECRET_KEY] = pk


@org_required(MANAGE_ORG_ROLES)
@require_safe
def endpoint_list(request: HttpRequest) -> HttpResponse:
    return render(request, "webhooks/endpoint_list.html", {"endpoints": selectors.endpoint_list(ctx=request.org)})


def _form_values(form: EndpointForm) -> dict:
    data = form.cleaned_data
    return {
        "url": data["url"],
        "description": data["description"],
        "events": data["events"],
        "include_personal_data": data["include_personal_data"],
    }


@org_required(MANAGE_ORG_ROLES)
def endpoint_create(request: HttpRequest) -> HttpResponse:
    form = EndpointForm(request.POST or None)
    del form.fields["active"]
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = services.endpoint_create(ctx=request.org, request=request, **_form_values(form))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            _show_secret_once(request, endpoint.pk)
            messages.success(request, _("Endpoint created. Copy its signing secret now."))
            return redirect("webhooks:endpoint_detail", pk=endpoint.pk)
    return render(request, "webhooks/endpoint_form.html", {"form": form, "endpoint": None})


@org_required(MANAGE_ORG_ROLES)
def endpoint_edit(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = selectors.endpoint_get(ctx=request.org, pk=pk)
    initial = {f: getattr(endpoint, f) for f in ("url", "description", "events", "include_personal_data", "active")}
    form = EndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.endpoint_update(
                ctx=request.org,
                endpoint=endpoint,
                request=request,
                active=form.cleaned_data["active"],
                **_form_values(form),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Endpoint saved."))
            return redirect("webhooks:endpoint_detail", pk=endpoint.pk)
    return render(request, "webhooks/endpoint_form.html", {"form": form, "endpoint": endpoint})


@org_required(MANAGE_ORG_ROLES)
@require_safe
def endpoint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = selectors.endpoint_get(ctx=request.org, pk=pk)
    show_secret = request.session.get(SHOW_SECRET_KEY) == endpoint.pk
    if show_secret:
        del request.session[SHOW_SECRET_KEY]
    filters = DeliveryFilterForm(request.GET or None)
    wanted = filters.cleaned_data if filters.is_valid() else {}
    rows = selectors.delivery_list(
        ctx=request.org, endpoint=endpoint, status=wanted.get("status", ""), event_type=wanted.get("event", "")
    )
    page = Paginator(rows, LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "webhooks/endpoint_detail.html",
        {
            "endpoint": endpoint,
            "show_secret": show_secret,
            "filters": filters,
            "page": page,
            "query": query.urlencode(),
        },
    )


@org_required(MANAGE_ORG_ROLES)
@require_POST
def endpoint_secret(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = selectors.endpoint_get(ctx=request.org, pk=pk)
    services.endpoint_secret_viewed(ctx=request.org, endpoint=endpoint, request=request)
    _show_secret_once(request, endpoint.pk)
    return redirect("webhooks:endpoint_detail", pk=endpoint.pk)


@org_required(MANAGE_ORG_ROLES)
@require_POST
def endpoint_rotate_secret(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = selectors.endpoint_get(ctx=request.org, pk=pk)
    endpoint = services.endpoint_rotate_secret(ctx=request.org, endpoint=endpoint, request=request)
    _show_secret_once(request, endpoint.pk)
    messages.success(
        request,
        _("New secret created. The previous one also signs until %(until)s.")
        % {"until": endpoint.previous_secret_expires_at.strftime("%Y-%m-%d %H:%M UTC")},
    )
    return redirect("webhooks:endpoint_detail", pk=endpoint.pk)


@org_required(MANAGE_ORG_ROLES)
def endpoint_delete(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = selectors.endpoint_get(ctx=request.org, pk=pk)
    if request.method == "POST":
        services.endpoint_delete(ctx=request.org, endpoint=endpoint, request=request)
        messages.success(request, _("Endpoint deleted."))
        return redirect("webhooks:endpoint_list")
    return render(request, "webhooks/endpoint_delete.html", {"endpoint": endpoint})


@org_required(MANAGE_ORG_ROLES)
@require_POST
def endpoint_test(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = selectors.endpoint_get(ctx=request.org, pk=pk)
    services.test_event_send(ctx=request.org, endpoint=endpoint)
    messages.info(request, _("Test event sent; its result is at the top of the log below."))
    return redirect("webhooks:endpoint_detail", pk=endpoint.pk)


@org_required(MANAGE_ORG_ROLES)
@require_safe
def delivery_detail(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = selectors.delivery_get(ctx=request.org, pk=pk)
    body = json.dumps(json.loads(events.body(delivery)), indent=2, ensure_ascii=False)
    return render(request, "webhooks/delivery_detail.html", {"delivery": delivery, "body": body})


@org_required(MANAGE_ORG_ROLES)
@require_POST
def delivery_retry(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = selectors.delivery_get(ctx=request.org, pk=pk)
    if services.delivery_retry(ctx=request.org, delivery=delivery):
        messages.info(request, _("Delivery queued for one more attempt."))
    else:
        messages.warning(request, _("Only a failed delivery can be retried."))
    if request.POST.get("next") == "delivery":
        return redirect("webhooks:delivery_detail", pk=delivery.pk)
    return redirect("webhooks:endpoint_detail", pk=delivery.endpoint_id)

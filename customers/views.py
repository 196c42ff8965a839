from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.scoping import WRITE_PROGRAM_ROLES, org_required
from customers import selectors, services
from customers.filters import CustomerFilter
from customers.forms import CustomerForm

PAGE_SIZE = 50


@org_required()
def customer_list(request: HttpRequest) -> HttpResponse:
    ctx = request.org
    filterset = CustomerFilter(request.GET or None, queryset=selectors.customer_list(ctx=ctx), request=request)
    segments = selectors.customer_segment_list(ctx=ctx)
    filterset.form.fields["segment"].widget = forms.Select(
        choices=[("", _("Any")), *((s, s) for s in segments)], attrs={"class": "form-select"}
    )
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "customers/customer_list.html",
        {
            "filter_form": filterset.form,
            "page": page,
            "filtered": any(v for k, v in request.GET.items() if k != "page"),
            "contact_for_all": selectors.customer_contact_visible_to_all(ctx=ctx),
        },
    )


@org_required()
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_get(ctx=request.org, pk=pk)
    return render(
        request,
        "customers/customer_detail.html",
        {"customer": customer, "show_contact": selectors.customer_contact_visible(ctx=request.org, customer=customer)},
    )


@org_required(WRITE_PROGRAM_ROLES)
def customer_create(request: HttpRequest) -> HttpResponse:
    form = CustomerForm(request.POST or None, ctx=request.org)
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.customer_create(ctx=request.org, **form.cleaned_data)
        except services.DuplicateExternalId:
            form.add_error("external_id", _("Another customer already has this external id."))
        else:
            messages.success(request, _("Customer created."))
            return redirect("customers:customer_detail", pk=customer.pk)
    return render(request, "customers/customer_form.html", {"form": form, "customer": None})


@org_required(WRITE_PROGRAM_ROLES)
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_get(ctx=request.org, pk=pk)
    form = CustomerForm(request.POST or None, instance=customer, ctx=request.org)
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_update(ctx=request.org, customer=customer, **form.cleaned_data)
        except services.DuplicateExternalId:
            form.add_error("external_id", _("Another customer already has this external id."))
        else:
            messages.success(request, _("Customer saved."))
            return redirect("customers:customer_detail", pk=customer.pk)
    return render(request, "customers/customer_form.html", {"form": form, "customer": customer})

"""One filter definition for the customer list page and the customers API, so both filter the same way."""

from __future__ import annotations

import django_filters
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.scoping import OrgContext
from core.forms import BootstrapFormMixin
from customers import selectors
from customers.models import Customer
from journeys.models import Persona

_YES_NO = [("", _("Any")), ("true", _("Yes")), ("false", _("No"))]


def request_context(request) -> OrgContext:
    # DRF requests carry the API key's or session's context as org_ctx; plain views have request.org.
    return getattr(request, "org_ctx", None) or request.org


def _personas(request):
    if request is None:
        return Persona.objects.none()
    return selectors.persona_choices(ctx=request_context(request))


class CustomerFilterForm(BootstrapFormMixin, forms.Form):
    pass


class CustomerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search", label=_("Search"), help_text=_("Name, e-mail, external id or phone.")
    )
    segment = django_filters.CharFilter(label=_("Segment"))
    language = django_filters.ChoiceFilter(label=_("Language"), choices=settings.LANGUAGES, empty_label=_("Any"))
    persona = django_filters.ModelChoiceFilter(label=_("Persona"), queryset=_personas, empty_label=_("Any"))
    may_survey = django_filters.BooleanFilter(
        label=_("May be surveyed"), widget=forms.Select(choices=_YES_NO), help_text=_("true or false")
    )
    may_contact = django_filters.BooleanFilter(
        label=_("May be contacted back"), widget=forms.Select(choices=_YES_NO), help_text=_("true or false")
    )

    class Meta:
        model = Customer
        fields = ["q", "segment", "language", "persona", "may_survey", "may_contact"]
        form = CustomerFilterForm

    def search(self, queryset, name, value):
        return selectors.customer_search(queryset, ctx=request_context(self.request), query=value)

"""Customers with consent flags; revenue and churn facts are added by the KPI engine."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import OrgOwned, OrgQuerySet
from journeys.models import Persona


class CustomerQuerySet(OrgQuerySet):
    def surveyable(self) -> CustomerQuerySet:
        return self.filter(may_survey=True)


class Customer(OrgOwned):
    external_id = models.CharField(_("external id"), max_length=100)
    # Optional: many exports carry only an id (the external id is the key; pages then show that).
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    language = models.CharField(_("preferred language"), max_length=8, choices=settings.LANGUAGES, default="en")
    country = models.CharField(_("country"), max_length=2, blank=True)
    segment = models.CharField(_("segment"), max_length=60, blank=True)
    persona = models.ForeignKey(
        Persona, verbose_name=_("persona"), null=True, blank=True, on_delete=models.SET_NULL, related_name="customers"
    )
    may_survey = models.BooleanField(_("may be surveyed"), default=True)
    may_contact = models.BooleanField(_("may be contacted back"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "external_id"], name="customer_unique_external_id")
        ]
        indexes = [
            models.Index(fields=["organization", "name"]),
            # Segment filters and the list of segments are always within one organization.
            models.Index(fields=["organization", "segment"], name="customer_org_segment"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.external_id})" if self.name else self.external_id

    @property
    def label(self) -> str:
        """What pages call the customer: the name, or the external id when the name is unknown."""
        return self.name or self.external_id

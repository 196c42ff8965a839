"""Who can be told about an improvement action, and why the others cannot.

The candidates are the customers of the cases linked to the action, each counted once (a customer with several
linked cases is told once, about their earliest case). A customer is left out, for the first reason that applies:
already told about this action, no consent to be contacted, no e-mail address. A case without a customer is counted
as an anonymous answer, or as an erased customer when the erasure left its mark (a masked comment or note).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.scoping import OrgContext
from actions.models import FeedbackCase, ImprovementAction
from core.masking import MASK
from customers.models import Customer
from outbox.rendering import email_language
from program.models import CustomerUpdateRecipient
from surveys.models import Answer

ALREADY_TOLD = "already_told"
NO_CONSENT = "no_consent"
NO_EMAIL = "no_email"
NO_CUSTOMER = "no_customer"
ERASED = "erased"
EXCLUSION_REASONS = {
    ALREADY_TOLD: gettext_lazy("Already told about this action"),
    NO_CONSENT: gettext_lazy("No consent to be contacted"),
    NO_EMAIL: gettext_lazy("No e-mail address"),
    NO_CUSTOMER: gettext_lazy("No customer on the case (an anonymous answer)"),
    ERASED: gettext_lazy("The customer was erased"),
}


def update_blocker(action: ImprovementAction) -> str:
    """Why customers cannot be told about this action yet ("" when they can)."""
    if action.impact_measured_at is None:
        return _(
            "Its impact has not been measured yet. Customers are told once a measurement shows a significant "
            "improvement."
        )
    if not action.is_success:
        return _(
            "The measured change is not a significant improvement, so there is nothing to tell customers yet. "
            "Customers are told only about changes that made a proven difference."
        )
    if not action.cases.exists():
        return _("No feedback cases are linked to it, so there is nobody to tell. Link the cases that raised it.")
    return ""


def customer_language(customer: Customer, organization) -> str:
    """The customer's language if the platform speaks it, else the organization's default language."""
    return email_language(customer.language, organization.default_language)


def language_label(code: str) -> str:
    return str(dict(settings.LANGUAGES).get(code, code))


@dataclass(frozen=True)
class Candidate:
    customer: Customer
    case: FeedbackCase
    language: str


@dataclass
class Audience:
    eligible: list[Candidate] = field(default_factory=list)
    excluded: dict[str, int] = field(default_factory=lambda: dict.fromkeys(EXCLUSION_REASONS, 0))

    @property
    def languages(self) -> list[str]:
        """The languages the message must be written in (in the platform's order of languages)."""
        used = {c.language for c in self.eligible}
        return [code for code, _name in settings.LANGUAGES if code in used]

    @property
    def by_language(self) -> list[tuple[str, str, int]]:
        """(code, name, customers) per language of the message."""
        counts: dict[str, int] = {}
        for c in self.eligible:
            counts[c.language] = counts.get(c.language, 0) + 1
        return [(code, language_label(code), counts[code]) for code in self.languages]

    @property
    def excluded_rows(self) -> list[tuple[str, str, int]]:
        """(reason, its sentence, count) of every reason that left someone out."""
        return [(code, str(EXCLUSION_REASONS[code]), n) for code, n in self.excluded.items() if n]

    @property
    def excluded_total(self) -> int:
        return sum(self.excluded.values())


def _erased_case_ids(cases: list[FeedbackCase]) -> set[int]:
    """Cases without a customer that an erasure went through: their comment or resolution carries the mask."""
    if not cases:
        return set()
    masked = set(
        Answer.objects.filter(response_id__in=[c.response_id for c in cases], text=MASK).values_list(
            "response_id", flat=True
        )
    )
    return {c.pk for c in cases if c.response_id in masked or MASK in (c.resolution or "")}


def customer_update_audience(
    *, ctx: OrgContext, action: ImprovementAction, until: dt.datetime | None = None
) -> Audience:
    """Who would receive a message about `action` now (at `until`: cases opened by then), and why the others would
    not. Three queries."""
    cases = action.cases.filter(organization_id=ctx.org_id).select_related("customer").order_by("opened_at", "pk")
    if until is not None:
        cases = cases.filter(opened_at__lte=until)
    cases = list(cases)
    told = set(
        CustomerUpdateRecipient.objects.for_org(ctx.organization)
        .filter(action=action)
        .values_list("customer_id", flat=True)
    )
    audience = Audience()
    anonymous = [c for c in cases if c.customer_id is None]
    erased = _erased_case_ids(anonymous)
    for case in anonymous:
        audience.excluded[ERASED if case.pk in erased else NO_CUSTOMER] += 1
    seen: set[int] = set()
    for case in cases:
        customer = case.customer
        if customer is None or customer.pk in seen:
            continue
        seen.add(customer.pk)
        if customer.pk in told:
            audience.excluded[ALREADY_TOLD] += 1
        elif not customer.may_contact:
            audience.excluded[NO_CONSENT] += 1
        elif not customer.email.strip():
            audience.excluded[NO_EMAIL] += 1
        else:
            language = customer_language(customer, ctx.organization)
            audience.eligible.append(Candidate(customer=customer, case=case, language=language))
    return audience

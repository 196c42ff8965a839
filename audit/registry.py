"""Which pages and API endpoints show personal data, and what reading them is called in the audit log.

`audit.middleware.AuditMiddleware` looks every successful (2xx) GET up here by its URL name
(`request.resolver_match.view_name`) and records one event; no view has to remember to. To audit a new page or
endpoint, add its URL name below:

- `action`: a verb from audit.actions;
- `model`: the app label and model the page is about (the event's object type);
- `kwarg`: the URL keyword naming the object (a detail page), or None for lists and exports, whose query string
  (the filters) and URL keywords (the survey of an invitation list) are kept in the event's detail instead;
- `lookup`: the model field the URL keyword matches ("pk" unless the URL names the object otherwise);
- `label`: fields whose first non-empty value labels the object (read by a subquery inside the one INSERT);
- `part`: which part of the object a fragment or sub-endpoint shows (kept in the detail).

Lists a user works through all day (the case inbox) are not recorded: opening each case is. Reports and
scorecards quote no customer (comments are masked), so they are not here either.
"""

from __future__ import annotations

from dataclasses import dataclass

from audit import actions


@dataclass(frozen=True)
class AuditedRead:
    action: str
    model: str
    kwarg: str | None = None
    lookup: str = "pk"
    label: tuple[str, ...] = ()
    part: str = ""


CUSTOMER_LABEL = ("name", "external_id")
VIA_CUSTOMER_LABEL = ("customer__name", "customer__external_id")


def _customer(kwarg: str = "pk", *, part: str = "", lookup: str = "pk") -> AuditedRead:
    return AuditedRead(
        actions.CUSTOMER_VIEW, "customers.Customer", kwarg=kwarg, lookup=lookup, label=CUSTOMER_LABEL, part=part
    )


def _response(part: str = "") -> AuditedRead:
    return AuditedRead(actions.RESPONSE_VIEW, "surveys.Response", kwarg="pk", label=VIA_CUSTOMER_LABEL, part=part)


def _case(part: str = "") -> AuditedRead:
    return AuditedRead(actions.CASE_VIEW, "actions.FeedbackCase", kwarg="pk", label=VIA_CUSTOMER_LABEL, part=part)


CUSTOMER_LIST = AuditedRead(actions.CUSTOMER_LIST, "customers.Customer")
RESPONSE_LIST = AuditedRead(actions.RESPONSE_LIST, "surveys.Response")
CASE_LIST = AuditedRead(actions.CASE_LIST, "actions.FeedbackCase")
IMPORT_ERRORS = AuditedRead(actions.IMPORT_ERRORS_DOWNLOAD, "imports.ImportJob", kwarg="pk", label=("original_name",))

READS: dict[str, AuditedRead] = {
    # Pages.
    "customers:customer_list": CUSTOMER_LIST,
    "customers:customer_detail": _customer(),
    "actions:customer_cases": _customer("customer_pk", part="cases"),
    "surveys:customer_contact_decisions": _customer("customer_pk", part="contact_decisions"),
    "surveys:contact_decision_list": AuditedRead(actions.CUSTOMER_LIST, "customers.Customer", part="contact_decisions"),
    "surveys:invitation_list": AuditedRead(actions.CUSTOMER_LIST, "customers.Customer", part="invitations"),
    "program:customer_history": _customer("customer_pk", part="touchpoint_history"),
    "program:customer_history_summary": _customer("customer_pk", part="touchpoint_history"),
    "program-customer-history": _customer("customer_pk", part="touchpoint_history"),
    "program:customer_update_detail": AuditedRead(actions.CUSTOMER_LIST, "customers.Customer", part="customer_update"),
    "surveys:response_list": RESPONSE_LIST,
    "surveys:response_detail": _response(),
    "surveys:response_export_csv": AuditedRead(actions.RESPONSES_EXPORT, "surveys.Response", part="csv"),
    "surveys:response_export_xlsx": AuditedRead(actions.RESPONSES_EXPORT, "surveys.Response", part="xlsx"),
    "actions:case_detail": _case(),
    "imports:job_error_report": IMPORT_ERRORS,
    # The audit log's own export (its filters are kept like any export's).
    "audit:event_export_csv": AuditedRead(actions.AUDIT_EXPORT, "audit.AuditEvent", part="csv"),
    # API (DRF route names).
    "customer-list": CUSTOMER_LIST,
    "customer-detail": _customer(),
    "customer-by-external-id": _customer("external_id", lookup="external_id"),
    "response-list": RESPONSE_LIST,
    "response-detail": _response(),
    "case-list": CASE_LIST,
    "case-detail": _case(),
    "case-events": _case("events"),
    "case-contact-attempts": _case("contact_attempts"),
    "import-error-report": IMPORT_ERRORS,
}


def audited_read(view_name: str) -> AuditedRead | None:
    return READS.get(view_name)

"""Submit validated responses in bulk: their related rows are read once for all items, then each is stored alone.

The API's single and batch submissions both come here (surveys.ingestion.api), so one item is treated alike in both;
the API turns an item's refusal into its HTTP error.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from accounts.scoping import OrgContext
from surveys.ingestion import selectors
from surveys.ingestion.errors import IngestionError, UnknownRows
from surveys.ingestion.services import response_submit
from surveys.models import Response, Survey


@dataclass(frozen=True)
class ItemResult:
    """One item's outcome: its response (`created` False when the item's idempotency key named an earlier one), or
    the IngestionError that refused it (nothing was written for it then)."""

    index: int
    response: Response | None = None
    created: bool = False
    refused: IngestionError | None = None


@dataclass(frozen=True)
class _Related:
    """The rows the items name, read in bulk and scoped to the caller's organization."""

    surveys: dict
    versions: dict
    touchpoints: dict
    customers: dict
    invitations: dict


def responses_ingest(*, ctx: OrgContext, items: list[tuple[int, dict]]) -> list[ItemResult]:
    """Submit each (index, validated fields) item on its own; return one result per item, in order.

    The fields are those of the API's ResponseInSerializer, plus `idempotency_fingerprint`.
    """
    if not items:
        return []
    related = _related(ctx=ctx, items=items)
    return [_ingest_one(ctx=ctx, index=index, data=data, related=related) for index, data in items]


def _related(*, ctx: OrgContext, items: list[tuple[int, dict]]) -> _Related:
    surveys = selectors.surveys_by_id(ctx=ctx, ids=[d["survey"] for _, d in items])
    version_ids = {d.get("version") or getattr(surveys.get(d["survey"]), "current_version_id", None) for _, d in items}
    touchpoint_ids = [d["touchpoint"] for _, d in items if d.get("touchpoint")]
    customer_ids = [d["customer"] for _, d in items if d.get("customer")]
    external_ids = [d["customer_external_id"] for _, d in items if d.get("customer_external_id")]
    tokens = [d["invitation_token"] for _, d in items if d.get("invitation_token")]
    return _Related(
        surveys=surveys,
        versions=selectors.published_versions_by_id(ctx=ctx, ids=[v for v in version_ids if v]),
        touchpoints=selectors.touchpoints_by_id(ctx=ctx, ids=touchpoint_ids) if touchpoint_ids else {},
        customers=selectors.customers_by_id(ctx=ctx, ids=customer_ids, external_ids=external_ids),
        invitations=selectors.invitations_by_token(ctx=ctx, tokens=tokens) if tokens else {},
    )


def _ingest_one(*, ctx: OrgContext, index: int, data: dict, related: _Related) -> ItemResult:
    try:
        response, created = _submit(ctx=ctx, data=data, related=related)
    except IngestionError as exc:
        return ItemResult(index=index, refused=exc)
    return ItemResult(index=index, response=response, created=created)


def _submit(*, ctx: OrgContext, data: dict, related: _Related) -> tuple[Response, bool]:
    """Look the item's rows up (UnknownRows names those that are not the caller's), then submit it."""
    survey = related.surveys.get(data["survey"])
    if survey is None:
        raise UnknownRows({"survey": [_("Unknown survey.")]})
    if survey.status != Survey.Status.PUBLISHED:
        raise UnknownRows({"survey": [_("The survey is not open for responses.")]})
    version = related.versions.get(data.get("version") or survey.current_version_id)
    if version is None or version.survey_id != survey.pk:
        raise UnknownRows({"version": [_("Unknown or unpublished survey version.")]})
    errors = {}
    touchpoint = related.touchpoints.get(data["touchpoint"]) if data.get("touchpoint") else None
    if data.get("touchpoint") and touchpoint is None:
        errors["touchpoint"] = [_("Unknown touchpoint.")]
    customer_key = data.get("customer") or data.get("customer_external_id")
    customer = related.customers.get(customer_key) if customer_key else None
    if customer_key and customer is None:
        errors["customer" if data.get("customer") else "customer_external_id"] = [_("Unknown customer.")]
    invitation = related.invitations.get(data["invitation_token"]) if data.get("invitation_token") else None
    if data.get("invitation_token") and (invitation is None or invitation.survey_id != survey.pk):
        errors["invitation_token"] = [_("Unknown invitation.")]
    if errors:
        raise UnknownRows(errors)
    return response_submit(
        organization=ctx.organization,
        survey=survey,
        version=version,
        answers=data["answers"],
        touchpoint=touchpoint,
        customer=customer,
        invitation=invitation,
        language=data.get("language") or "",
        channel=data.get("channel") or "",
        source=Response.Source.API,
        submitted_at=data.get("submitted_at"),
        idempotency_key=data.get("idempotency_key") or None,
        idempotency_fingerprint=data.get("idempotency_fingerprint", ""),
    )

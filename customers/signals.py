"""Signals of the customers app, for apps above it (privacy keeps the consent log, kpis the rollups) that customers
need not know.

`consent_changed` is sent inside the transaction that wrote the customers, with `organization_id`, `changes` (a list
of `(external_id, kind, granted)`, kind "survey" or "contact"; a new customer has one change per flag) and `source`
("staff:<username>", "api:<key prefix>", "import", "system"). Receivers write rows only.

`customers_resliced` is sent inside the transaction of a bulk write that bypassed the ORM's save (the import's
upsert) and moved customers to another segment or persona, with `customer_ids`: their past answers move between
segment slices (kpis marks those rollups dirty and queues their recomputation after the commit). A customer saved
one at a time sends Django's own pre_save instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.dispatch import Signal

if TYPE_CHECKING:
    from accounts.scoping import OrgContext

consent_changed = Signal()
customers_resliced = Signal()

# The consent flags of a customer by the kind the consent log names them.
CONSENT_FLAGS = {"survey": "may_survey", "contact": "may_contact"}


def change_source(ctx: OrgContext | None) -> str:
    """Who made a change through `ctx`: "api:<key prefix>", "staff:<username>" or "system"."""
    if ctx is None:
        return "system"
    if ctx.api_key is not None:
        return f"api:{ctx.api_key.prefix}"
    if ctx.user is not None and ctx.user.is_authenticated:
        return f"staff:{ctx.user.get_username()}"[:120]
    return "system"


def consent_changes(external_id: str, before: dict | None, after: dict) -> list[tuple[str, str, bool]]:
    """The changes between two `{flag: value}` states of one customer (`before` None: a new customer)."""
    return [
        (external_id, kind, after[flag])
        for kind, flag in CONSENT_FLAGS.items()
        if flag in after and (before is None or before.get(flag) != after[flag])
    ]


def send_consent_changed(*, organization_id: int, changes: list[tuple[str, str, bool]], source: str) -> None:
    if changes:
        consent_changed.send(sender=None, organization_id=organization_id, changes=changes, source=source)

"""Saved column mappings: the mapping step of every import kind remembers what was confirmed for a header.

The mapping itself is the kind's own JSON (responses: columns -> touchpoint + question, not-applicable codes,
dates; customers and facts: column -> field). Only the lookup by header is shared.
"""

from __future__ import annotations

import hashlib
import json

from accounts.scoping import OrgContext
from imports.models import SavedMapping
from imports.registry import normalize_header


def header_key(header: list[str]) -> str:
    """The same key for the same columns in the same order, whatever their case or surrounding spaces."""
    cells = [normalize_header(c) for c in header]
    return hashlib.sha256(json.dumps(cells, ensure_ascii=False).encode()).hexdigest()


def saved_mapping_get(*, ctx: OrgContext, kind: str, header: list[str]) -> dict | None:
    row = (
        SavedMapping.objects.for_org(ctx.organization)
        .filter(kind=kind, header_key=header_key(header))
        .values_list("mapping", flat=True)
        .first()
    )
    return row


def saved_mapping_save(*, ctx: OrgContext, kind: str, header: list[str], mapping: dict) -> SavedMapping:
    user = ctx.user if ctx.user is not None and ctx.user.is_authenticated else None
    saved, _created = SavedMapping.objects.update_or_create(
        organization=ctx.organization,
        kind=kind,
        header_key=header_key(header),
        defaults={"header": list(header), "mapping": mapping, "created_by": user},
    )
    return saved

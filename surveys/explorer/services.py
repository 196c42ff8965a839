"""Writes of the response explorer: saved filters (the only thing the explorer stores)."""

from __future__ import annotations

from accounts.scoping import OrgContext
from surveys.models import SavedFilter


def saved_filter_save(*, ctx: OrgContext, name: str, query: str, shared: bool = False) -> tuple[SavedFilter, bool]:
    """Save the user's filters under `name` (a name they used before is overwritten); returns (filter, created)."""
    saved, created = SavedFilter.objects.update_or_create(
        organization=ctx.organization, user=ctx.user, name=name, defaults={"query": query, "shared": shared}
    )
    return saved, created


def saved_filter_delete(*, saved: SavedFilter) -> None:
    saved.delete()

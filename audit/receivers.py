"""Receivers connected in AuditConfig.ready()."""

from __future__ import annotations

from django.db import connection

from audit.services import audit_record


def record_access_event(sender, signal, **event) -> None:
    """accounts' `access_event`: one event, written in the transaction of the change that sent it."""
    audit_record(**event)


def _set_purge(value: str) -> None:
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('cx.audit_purge', %s, true)", [value])


def allow_purge_with_organization(sender, instance, **kwargs) -> None:
    """pre_delete of an Organization: its audit events go with it (the deletion's transaction may delete them)."""
    _set_purge("on")


def end_purge_with_organization(sender, instance, **kwargs) -> None:
    """post_delete of an Organization: the rest of the transaction is append-only again."""
    _set_purge("off")

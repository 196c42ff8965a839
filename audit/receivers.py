"""Receivers connected in AuditConfig.ready()."""

from __future__ import annotations

from django.db import connection


def allow_purge_with_organization(sender, instance, **kwargs) -> None:
    """pre_delete of an Organization: its audit events go with it (the deletion's transaction may delete them)."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL cx.audit_purge = 'on'")

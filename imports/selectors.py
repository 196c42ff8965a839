"""Reads for import jobs. Imports carry customer data, so only roles that edit the program see them."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from accounts.scoping import OrgContext, get_in_org
from imports.models import ImportJob


def import_job_list(*, ctx: OrgContext, kind: str | None = None) -> QuerySet[ImportJob]:
    if not ctx.can_edit_program:
        return ImportJob.objects.none()
    qs = ImportJob.objects.for_org(ctx.organization).select_related("created_by")
    return qs.filter(kind=kind) if kind else qs


def import_job_get(*, ctx: OrgContext, pk: int) -> ImportJob:
    if not ctx.can_edit_program:
        raise PermissionDenied
    return get_in_org(ImportJob.objects.select_related("created_by"), ctx, pk=pk)

"""The audit log page (admins): filters, pages of events, and a CSV export of what the filters select."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from accounts.scoping import MANAGE_ORG_ROLES, org_required
from audit import actions, selectors
from audit.forms import AuditFilterForm
from core.spreadsheets import neutralise, stream_csv

PER_PAGE = 50
MAX_PAGE = 2000  # deep OFFSETs get slow; past this, narrow the filters
EXPORT_CHUNK = 2000


def _filtered(request: HttpRequest):
    form = AuditFilterForm(request.GET or None, ctx=request.org)
    qs = selectors.audit_event_list(ctx=request.org, filters=form.to_filters())
    if form.is_bound and not form.is_valid():
        qs = qs.none()
    return form, qs


def detail_lines(detail: dict[str, Any]) -> list[str]:
    """The event's detail as short lines: "field: old → new" per change, the filters of an export, the rest."""
    lines = []
    for field, change in (detail.get("changes") or {}).items():
        if isinstance(change, dict):
            lines.append(f"{field}: {_shown(change.get('old'))} → {_shown(change.get('new'))}")
    if detail.get("query"):
        lines.append(_("Filters: %(query)s") % {"query": urlencode(detail["query"], doseq=True)})
    for key, value in detail.items():
        if key not in ("changes", "query"):
            lines.append(f"{key}: {_shown(value)}")
    return lines


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("page", 1)), MAX_PAGE))
    except ValueError:
        return 1


@org_required(MANAGE_ORG_ROLES)
@require_safe
def event_list(request: HttpRequest) -> HttpResponse:
    form, qs = _filtered(request)
    page = _page_number(request)
    # One row more than shown tells whether there is a next page, without COUNT(*) over a year of events.
    window = list(qs[(page - 1) * PER_PAGE : page * PER_PAGE + 1])
    events = window[:PER_PAGE]
    for event in events:
        event.action_label = actions.action_label(event.action)
        event.detail_lines = detail_lines(event.detail)
        event.target_type_label = actions.object_type_label(event.target_type) if event.target_type else ""
        event.target_label = actions.target_label(event.target_type, event.target_label)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "events": events,
        "page": page,
        "has_previous": page > 1,
        "has_next": len(window) > PER_PAGE and page < MAX_PAGE,
        "query": query.urlencode(),
        "filtered": bool(query),
        "action_choices": form.action_choices(),
        "object_type_choices": form.object_type_choices(),
    }
    template = "audit/_results.html" if request.htmx else "audit/event_list.html"
    return render(request, template, context)


def _header() -> list[str]:
    return [
        _("When"),
        _("Who"),
        _("Action"),
        _("Action (label)"),
        _("Object type"),
        _("Object id"),
        _("Object"),
        _("Address"),
        _("Detail"),
    ]


def _rows(qs, tz):
    for event in qs.iterator(chunk_size=EXPORT_CHUNK):
        cells = [
            event.at.astimezone(tz).replace(microsecond=0).isoformat(sep=" "),
            event.actor_label,
            event.action,
            actions.action_label(event.action),
            event.target_type,
            event.target_id,
            event.target_label,
            event.ip or "",
            json.dumps(event.detail, ensure_ascii=False, sort_keys=True) if event.detail else "",
        ]
        yield [neutralise(c) for c in cells]


@org_required(MANAGE_ORG_ROLES)
@require_safe
def event_export_csv(request: HttpRequest) -> StreamingHttpResponse:
    """Every event the filters select, streamed (recorded as audit.export by the middleware, see audit.registry)."""
    _form, qs = _filtered(request)
    tz = request.org.organization.zone
    response = StreamingHttpResponse(stream_csv(_header(), _rows(qs, tz)), content_type="text/csv; charset=utf-8")
    name = f"audit-log-{timezone.localdate(timezone=tz).isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response

"""Record every read of personal data (audit.registry) without a line in the views that serve it."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from audit.context import _current
from audit.registry import audited_read
from audit.services import audit_record_read


class AuditMiddleware:
    """Keep the request at hand for `audit_record` (audit.context) and record audited reads.

    One event per successful (2xx) GET of a URL named in audit.registry, by a signed-in member or an API key: a
    single INSERT after the view has answered (a 404 for another organization's id, a 403 or a redirect records
    nothing). Other URLs cost a dictionary look-up. Goes after CurrentOrganizationMiddleware, which sets
    `request.org`; an API key's organization is read from `request.auth`, which DRF sets while the view runs.
    If the event cannot be written the request fails rather than serve personal data unrecorded.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current.set(request)
        try:
            response = self.get_response(request)
            if request.method == "GET" and 200 <= response.status_code < 300:
                match = getattr(request, "resolver_match", None)
                read = audited_read(match.view_name) if match is not None else None
                if read is not None:
                    audit_record_read(request=request, read=read, url_kwargs=match.kwargs)
        finally:
            _current.reset(token)
        return response

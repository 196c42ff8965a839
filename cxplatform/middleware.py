"""Project-wide response rules."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class NoStoreDownloadsMiddleware:
    """Every download (a response with Content-Disposition: exports, reports, error files) is sent with
    `Cache-Control: no-store`, so no browser, proxy or shared computer keeps a copy of personal data."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.has_header("Content-Disposition"):
            response["Cache-Control"] = "no-store, private"
        return response

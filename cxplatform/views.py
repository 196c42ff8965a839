from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import redirect
from django.template import loader
from django.template.exceptions import TemplateDoesNotExist
from django.utils.http import url_has_allowed_host_and_scheme
from rest_framework import exceptions

from accounts.scoping import org_required
from core.api import error_response


@org_required()
def home(request: HttpRequest) -> HttpResponse:
    """Land each role where its work is: frontline in their case inbox, everyone else on the overview."""
    if request.org.is_frontline:
        return redirect("actions:inbox")
    return redirect("kpis:overview")


def health(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


# -- error pages (handler403/404/500 in cxplatform.urls) -----------------------------------------------------------
# Under /api/ every error is the API's own (core.api.error_response, the shape of core.api.exception_handler);
# elsewhere one styled page per code, with the menu for a signed-in user and a way back.


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _back_url(request: HttpRequest) -> str:
    """The page the user came from, when it is one of ours and not the failing page itself."""
    referer = request.headers.get("referer", "")
    if not referer or not url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return ""
    return "" if referer == request.build_absolute_uri() else referer


def _error_page(request: HttpRequest, template_name: str, status: int) -> HttpResponse:
    context = {"request_path": request.path, "back_url": _back_url(request)}
    return HttpResponse(loader.render_to_string(template_name, context, request), status=status)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return error_response(exceptions.PermissionDenied())
    return _error_page(request, "403.html", 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return error_response(exceptions.NotFound())
    return _error_page(request, "404.html", 404)


def server_error(request: HttpRequest) -> HttpResponse:
    """Needs nothing that may have failed: no database, no context processors, no session (500.html is standalone)."""
    if _is_api(request):
        return error_response(exceptions.APIException())
    try:
        return HttpResponseServerError(loader.get_template("500.html").render())
    except TemplateDoesNotExist:  # pragma: no cover - the template ships with the project
        return HttpResponseServerError("<h1>Server Error (500)</h1>", content_type="text/html")

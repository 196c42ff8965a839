from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from accounts.scoping import org_required


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

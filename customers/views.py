from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.scoping import org_required


@org_required()
def customer_list(request: HttpRequest) -> HttpResponse:
    return render(request, "base.html", {})

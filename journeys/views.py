from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.scoping import org_required
from journeys import selectors


@org_required()
def journey_list(request: HttpRequest) -> HttpResponse:
    return render(request, "journeys/journey_list.html", {"journeys": selectors.journey_list(ctx=request.org)})

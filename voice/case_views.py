"""Confirming the root cause suggested to a case (the case page's voice fragment posts here)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.scoping import ALL_ROLES, org_required
from actions.policies import can_act_on_case
from actions.selectors.cases import case_get
from voice.models import CaseSuggestion
from voice.suggestions import suggestion_confirm


@org_required(ALL_ROLES)
@require_POST
def case_suggestion_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Set the case's root cause to the suggested one. The case comes through actions' scoped selector: another
    organization's case, or a case another team's frontline cannot see, is a 404."""
    case = case_get(ctx=request.org, pk=pk)
    if not CaseSuggestion.objects.filter(case=case).exists():
        raise Http404
    if not can_act_on_case(request.org, case):
        raise PermissionDenied
    try:
        suggestion_confirm(ctx=request.org, case=case)
        messages.success(request, _("Root cause confirmed."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    url = reverse("actions:case_detail", args=[case.pk])
    came_from = request.POST.get("from", "")
    return redirect(f"{url}?{urlencode({'from': came_from})}" if came_from else url)

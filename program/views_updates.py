"""Pages of "you said, we did": tell the customers of an improvement what changed; the updates and their recovery."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_safe

from accounts.scoping import WRITE_PROGRAM_ROLES, org_required
from actions.selectors.improvements import improvement_get
from program.forms_updates import CustomerUpdateForm
from program.updates import selectors
from program.updates.audience import customer_update_audience, update_blocker
from program.updates.messages import default_message
from program.updates.services import customer_update_send


@org_required(WRITE_PROGRAM_ROLES)
@require_http_methods(["GET", "POST"])
def improvement_tell(request: HttpRequest, pk: int) -> HttpResponse:
    """Preview who would be told (and why others would not), write the message per language, send."""
    ctx = request.org
    action = improvement_get(ctx=ctx, pk=pk)
    blocker = update_blocker(action)
    audience = None if blocker else customer_update_audience(ctx=ctx, action=action)
    form = None
    if audience is not None and audience.eligible:
        defaults = {code: default_message(action=action, language=code) for code in audience.languages}
        form = CustomerUpdateForm(request.POST or None, languages=audience.languages, defaults=defaults)
        if request.method == "POST" and form.is_valid():
            try:
                update = customer_update_send(
                    ctx=ctx,
                    action=action,
                    messages=form.messages(),
                    resurvey_after_days=form.cleaned_data["resurvey_after_days"],
                )
            except ValidationError as exc:
                form.add_error(None, " ".join(exc.messages))
            else:
                n = update.recipients.count()
                messages.success(
                    request,
                    ngettext(
                        "The message is on its way to %(n)s customer.",
                        "The message is on its way to %(n)s customers.",
                        n,
                    )
                    % {"n": n},
                )
                return redirect("program:customer_update_detail", pk=update.pk)
    elif request.method == "POST":
        messages.error(request, blocker or _("Nobody can be told about this action right now."))
        return redirect("program:improvement_tell", pk=action.pk)
    return render(
        request,
        "program/updates_tell.html",
        {"action": action, "blocker": blocker, "audience": audience, "form": form},
    )


@org_required(selectors.READ_ROLES)
@require_safe
def customer_update_list(request: HttpRequest) -> HttpResponse:
    updates = list(selectors.customer_update_list(ctx=request.org)[:200])
    return render(request, "program/updates_list.html", {"updates": updates})


@org_required(selectors.READ_ROLES)
@require_safe
def customer_update_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ctx = request.org
    update = selectors.customer_update_get(ctx=ctx, pk=pk)
    report = selectors.customer_update_recovery(ctx=ctx, action=update.action, update=update)
    return render(
        request,
        "program/updates_detail.html",
        {"update": update, "report": report, "messages_by_language": selectors.languages_of(update)},
    )

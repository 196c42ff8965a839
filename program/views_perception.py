"""Pages of the perception gap: the perception surveys, a new one, and the gap of one survey.

Every member reads (executives and frontline staff included: the figures are aggregates, suppressed below the
minimum n); only CX managers and admins create surveys and see the anonymous link to share (anyone holding it can
answer the staff survey). Reads go through program.perception.selectors, the one
write through program.perception.services.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from accounts.scoping import WRITE_PROGRAM_ROLES, org_required
from program.forms_perception import PerceptionCreateForm, WindowForm
from program.perception import selectors
from program.perception.charts import gap_figures
from program.perception.presenters import (
    audience_label,
    correlation_sentence,
    gap_sentence,
    scale_text,
    significance_words,
)
from program.perception.services import PerceptionError, perception_survey_create


@require_safe
@org_required()
def perception_list(request: HttpRequest) -> HttpResponse:
    ctx = request.org
    surveys = list(selectors.perception_survey_list(ctx=ctx))
    for perception in surveys:
        # The URL only for those who may edit the program; the others see that a link exists.
        perception.share = selectors.share_state(ctx=ctx, perception=perception)
    return render(
        request,
        "program/perception_list.html",
        {"surveys": surveys, "can_edit": ctx.can_edit_program},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@org_required(WRITE_PROGRAM_ROLES)
def perception_create(request: HttpRequest) -> HttpResponse:
    ctx = request.org
    form = PerceptionCreateForm(request.POST or None, ctx=ctx)
    if request.method == "POST" and form.is_valid():
        try:
            perception = perception_survey_create(
                ctx=ctx,
                journey=form.cleaned_data["journey"],
                audience=form.cleaned_data["audience"],
                name=form.cleaned_data["name"],
                touchpoint_ids=form.touchpoint_ids(),
            )
        except PerceptionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Perception survey “%(name)s” created. Share its link with the people you want to ask.")
                % {"name": perception.survey.name},
            )
            return redirect("program:perception_detail", pk=perception.pk)
    return render(request, "program/perception_form.html", {"form": form})


def _rows(gap) -> list[dict]:
    """The table's rows: each touchpoint's figures, its scale and its significance in words."""
    rows = []
    for item in gap.items:
        c = item.comparison
        rows.append(
            {
                "gap": item,
                "c": c,
                "other": item.other,
                "scale": scale_text(item.metric, item.low, item.high),
                "significance": significance_words(c),
            }
        )
    return rows


@require_safe
@org_required()
def perception_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ctx = request.org
    perception = selectors.perception_survey_get(ctx=ctx, pk=pk)
    form = WindowForm(request.GET or None)
    start, end = form.window()
    gap = selectors.perception_gap(ctx=ctx, perception=perception, start=start, end=end)
    if not form.is_bound:
        form = WindowForm(initial={"start": gap.start, "end": gap.end})
    names = {item.touchpoint.pk: item.touchpoint.name for item in gap.items}
    audience = gap.perception.audience
    context = {
        "perception": perception,
        "gap": gap,
        "form": form,
        "rows": _rows(gap),
        "blind_spots": [(g, gap_sentence(g.comparison, audience=audience)) for g in gap.blind_spots],
        "hidden_strengths": [(g, gap_sentence(g.comparison, audience=audience)) for g in gap.hidden_strengths],
        "importance_rows": [(names.get(row.touchpoint_id, ""), row) for row in gap.importance.rows],
        "figures": [(f"perception-chart-{i}", figure) for i, figure in enumerate(gap_figures(gap), start=1)],
        "correlation_sentence": correlation_sentence(gap.importance.correlation, audience=audience),
        "audience_label": audience_label(audience),
        "other_label": audience_label(gap.other.audience) if gap.other is not None else "",
        "share": selectors.share_state(ctx=ctx, perception=perception),
        "value_url": reverse("value:dashboard"),
        "can_edit": ctx.can_edit_program,
    }
    return render(request, "program/perception_detail.html", context)

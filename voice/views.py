"""The voice of the customer pages: the theme overview, a theme's page, the verbatim explorer, the taxonomy editor,
the proposals from theme discovery and the progress of background runs.

Every role reads the insights (frontline staff see the figures and verbatims of their teams' touchpoints only: the
selectors apply that); CX managers and admins change the taxonomy and decide proposals, executives read the
proposals. Reads go through voice.selectors, writes through voice.taxonomy.
"""

from __future__ import annotations

import importlib.util

import plotly.graph_objects as go
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from accounts.models import Role
from accounts.scoping import WRITE_PROGRAM_ROLES, org_required
from actions.selectors.cases import case_base_queryset
from core.charts import figure_dict
from voice import selectors, taxonomy
from voice.forms import (
    METRICS,
    CommentFilterForm,
    OverviewFilterForm,
    ProposalAcceptForm,
    ProposalMergeForm,
    ThemeForm,
    month_start,
)
from voice.models import Language, VoiceRun
from voice.suggestions import suggestion_accuracy

PER_PAGE = 25
MAX_PAGE = 400  # deep OFFSETs get slow; past this, narrow the filters
EXAMPLES = 5
MAX_PROPOSALS = 30
EXAMPLES_PER_PROPOSAL = 3
METRIC_LABELS = dict(METRICS)
# Executives read the proposals; frontline staff work cases and do not curate the taxonomy.
PROPOSAL_READ_ROLES = WRITE_PROGRAM_ROLES | {Role.EXECUTIVE}
COLORS = {"with": "#dc3545", "without": "#6c757d", "share": "#0d6efd"}


def _form_error(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _starter_available() -> bool:
    return importlib.util.find_spec("voice.starter") is not None


def _trend_figure(trend: list, *, metric_label: str) -> dict:
    """Monthly share of comments with the theme (bars, right axis) and the mean score with and without it (lines).
    Months with too few comments are gaps (the selector gives None)."""
    months = [date_format(p.month, "YEAR_MONTH_FORMAT") for p in trend]
    share = [round(p.share * 100, 1) if p.share is not None else None for p in trend]
    data = [
        {
            "type": "bar",
            "x": months,
            "y": share,
            "name": _("Share of comments (%)"),
            "yaxis": "y2",
            "marker": {"color": COLORS["share"], "opacity": 0.35},
            "hovertemplate": "%{x}<br>%{y:.1f} %<extra></extra>",
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "x": months,
            "y": [p.mean_with for p in trend],
            "name": _("%(metric)s with the theme") % {"metric": metric_label},
            "line": {"color": COLORS["with"], "width": 2},
            "connectgaps": False,
            "hovertemplate": "%{x}<br>%{y:.2f}<extra></extra>",
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "x": months,
            "y": [p.mean_without for p in trend],
            "name": _("%(metric)s without the theme") % {"metric": metric_label},
            "line": {"color": COLORS["without"], "width": 2, "dash": "dot"},
            "connectgaps": False,
            "hovertemplate": "%{x}<br>%{y:.2f}<extra></extra>",
        },
    ]
    layout = {
        "margin": {"l": 10, "r": 10, "t": 10, "b": 30, "autoexpand": True},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "legend": {"orientation": "h", "y": -0.2},
        "hovermode": "x unified",
        "height": 320,
        "xaxis": {"automargin": True, "type": "category"},
        "yaxis": {"automargin": True, "title": {"text": _("Mean score")}},
        "yaxis2": {
            "automargin": True,
            "overlaying": "y",
            "side": "right",
            "rangemode": "tozero",
            "showgrid": False,
            "title": {"text": _("Share (%)")},
        },
    }
    return figure_dict(go.Figure(data=data, layout=layout))


# -- insights ---------------------------------------------------------------------------------------------------


def _scope_from(form: OverviewFilterForm) -> dict:
    start, end = form.period()
    values = form.values()
    journey, touchpoint = values.get("journey"), values.get("touchpoint")
    return {
        "start": start,
        "end": end,
        "touchpoint_id": touchpoint.pk if touchpoint else None,
        "journey_id": journey.pk if journey else None,
    }


def _tree_order(rows: list) -> list:
    """The overview's rows (most harmful first) as a tree: each theme followed by its sub-themes, both in the
    selector's order; `.depth` is 0 or 1 (a sub-theme whose parent is archived stands at the top level)."""
    shown = {row.theme.pk for row in rows}
    children: dict[int, list] = {}
    top = []
    for row in rows:
        if row.theme.parent_id in shown:
            children.setdefault(row.theme.parent_id, []).append(row)
        else:
            top.append(row)
    out = []
    for row in top:
        out.append((row, 0))
        out.extend((child, 1) for child in children.get(row.theme.pk, []))
    return out


def _language_mix(ctx, scope: dict) -> list[dict]:
    """Comments per language in the period and scope, largest first, with their share (read from the rollup)."""
    names = dict(Language.choices)
    return [
        {"code": r.language, "name": names.get(r.language, r.language or "—"), "n": r.comments, "share": r.share}
        for r in selectors.language_mix(
            ctx,
            start=scope["start"],
            end=scope["end"],
            touchpoint_id=scope["touchpoint_id"],
            journey_id=scope["journey_id"],
        )
    ]


@org_required()
@require_safe
def overview(request: HttpRequest) -> HttpResponse:
    ctx = request.org
    today = timezone.localdate()
    form = OverviewFilterForm(request.GET or None, ctx=ctx, today=today)
    scope = _scope_from(form)
    metric = form.chosen_metric()
    rows = selectors.theme_overview(ctx, metric=metric, **scope)
    has_themes = selectors.theme_list(ctx).exists()
    this_month = month_start(today)
    context = {
        "form": form,
        "filter_errors": form.filter_errors(),
        "rows": _tree_order(rows),
        "totals": rows.totals,
        "values": selectors.values_at_stake(ctx, list(rows)),
        "metric": metric,
        "metric_label": METRIC_LABELS.get(metric, metric),
        "start": scope["start"],
        "end": scope["end"],
        "this_month": this_month,
        "emerging": selectors.emerging_themes(
            ctx, month=this_month, touchpoint_id=scope["touchpoint_id"], journey_id=scope["journey_id"]
        ),
        "languages": _language_mix(ctx, scope),
        "has_themes": has_themes,
        "can_edit": ctx.can_edit_program,
        "starter_available": _starter_available() and not has_themes,
        "explorer_query": _explorer_query(scope),
        "filter_query": form.canonical_query(),
    }
    return render(request, "voice/overview.html", context)


def _explorer_query(scope: dict, **extra) -> str:
    params = {
        "from": scope["start"].isoformat(),
        "to": scope["end"].isoformat(),
        "journey": scope["journey_id"],
        "touchpoint": scope["touchpoint_id"],
        **extra,
    }
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


@org_required(WRITE_PROGRAM_ROLES)
@require_POST
def starter_install(request: HttpRequest) -> HttpResponse:
    if not _starter_available():
        messages.error(request, _("The starter taxonomy is not available in this installation."))
        return redirect("voice:taxonomy")
    from voice.starter import install_starter_taxonomy

    created = install_starter_taxonomy(request.org.organization, user=request.user)
    if created:
        messages.success(
            request,
            ngettext(
                "%(n)s starter theme installed. The comments are being tagged with it.",
                "%(n)s starter themes installed. The comments are being tagged with them.",
                created,
            )
            % {"n": created},
        )
    else:
        messages.info(request, _("The starter themes were already installed."))
    return redirect("voice:taxonomy")


@org_required()
@require_safe
def theme_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ctx = request.org
    theme = selectors.theme_get(ctx, pk)
    today = timezone.localdate()
    form = OverviewFilterForm(request.GET or None, ctx=ctx, today=today)
    scope = _scope_from(form)
    metric = form.chosen_metric()
    detail = selectors.theme_detail(ctx, theme, metric=metric, **scope)
    examples = list(selectors.comment_search(ctx, theme_id=theme.pk, **scope)[:EXAMPLES])
    return render(
        request,
        "voice/theme_detail.html",
        {
            "theme": theme,
            "form": form,
            "filter_errors": form.filter_errors(),
            "metric": metric,
            "metric_label": METRIC_LABELS.get(metric, metric),
            "start": scope["start"],
            "end": scope["end"],
            "row": detail.row,
            "value": selectors.value_at_stake(ctx, detail.row),
            "touchpoints": detail.touchpoints,
            "trend_figure": _trend_figure(detail.trend, metric_label=METRIC_LABELS.get(metric, metric))
            if any(p.comments for p in detail.trend)
            else None,
            "trend": detail.trend,
            "subthemes": [t for t in selectors.theme_list(ctx) if t.parent_id == theme.pk],
            "examples": _decorate(ctx, examples, q="", theme=theme),
            "explorer_url": reverse("voice:comment_list") + "?" + _explorer_query(scope, theme=theme.pk),
            "filter_query": form.canonical_query(),
            "can_edit": ctx.can_edit_program,
        },
    )


# -- verbatim explorer ------------------------------------------------------------------------------------------


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("page", 1)), MAX_PAGE))
    except ValueError:
        return 1


def _decorate(ctx, comments: list, *, q: str, theme=None) -> list:
    """Attach what a comment shows: the masked text with the searched words (or, without a search, the terms that
    matched `theme`) highlighted, its theme links, and its case when the reader may open it."""
    if not comments:
        return comments
    themes = selectors.comment_themes(ctx, comments)
    cases = dict(
        case_base_queryset(ctx=ctx)
        .filter(response_id__in={c.response_id for c in comments})
        .values_list("response_id", "pk")
    )
    for c in comments:
        c.chips = themes.get(c.pk, [])
        marks = q
        if not marks and theme is not None:
            matched = [
                term
                for link in c.chips
                if theme.pk in (link.theme_id, link.theme.parent_id)
                for term in (link.matched or [])
            ]
            marks = " ".join(matched)
        c.highlighted = selectors.comment_highlight(c.masked_text, marks, c.language)
        c.case_id = cases.get(c.response_id)
    return comments


@org_required()
@require_safe
def comment_list(request: HttpRequest) -> HttpResponse:
    ctx = request.org
    form = CommentFilterForm(request.GET or None, ctx=ctx)
    search = form.search_kwargs()
    page = _page_number(request)
    qs = selectors.comment_search(ctx, **search)
    # One row more than shown tells whether there is a next page, without a COUNT over every comment.
    window = list(qs[(page - 1) * PER_PAGE : page * PER_PAGE + 1])
    query = request.GET.copy()
    query.pop("page", None)
    theme = form.values().get("theme")
    context = {
        "form": form,
        "filter_errors": form.filter_errors(),
        "comments": _decorate(ctx, window[:PER_PAGE], q=search["q"], theme=theme),
        "page": page,
        "has_previous": page > 1,
        "has_next": len(window) > PER_PAGE and page < MAX_PAGE,
        "first_index": (page - 1) * PER_PAGE + 1,
        "query": query.urlencode(),
        "q": search["q"],
        "filtered": bool(form.canonical_query()),
        # On a phone the open filters would push the comments off the screen: open them only when one is applied.
        "filters_open": any(k != "q" and v not in (None, "") for k, v in search.items()),
    }
    template = "voice/_comment_results.html" if request.htmx else "voice/comment_list.html"
    return render(request, template, context)


# -- taxonomy ---------------------------------------------------------------------------------------------------


@org_required()
@require_safe
def taxonomy_page(request: HttpRequest) -> HttpResponse:
    ctx = request.org
    tree = selectors.theme_tree(ctx)
    return render(
        request,
        "voice/taxonomy.html",
        {
            "tree": tree,
            "run": selectors.run_latest(ctx, VoiceRun.Kind.RETAG),
            "can_edit": ctx.can_edit_program,
            "starter_available": _starter_available() and not tree,
            "suggestion_accuracy": suggestion_accuracy(ctx) if tree else None,
        },
    )


def _save_theme(request: HttpRequest, form: ThemeForm, save, done: str, retagging: str = "") -> HttpResponse | None:
    """Run `save(**fields)` for a valid form; errors of the service go back onto the form (None: show it again).
    `done` is the message of success; `retagging`, when given, the message when the change re-tags the comments."""
    if request.method != "POST" or not form.is_valid():
        return None
    version = selectors.taxonomy_version(request.org)
    try:
        theme = save(**form.service_fields())
    except ValidationError as exc:
        _form_error(form, exc)
        return None
    except IntegrityError:
        form.add_error("name", _("A theme with this name already exists at this level."))
        return None
    retagged = retagging and selectors.taxonomy_version(request.org) != version
    messages.success(request, (retagging if retagged else done) % {"name": theme.name})
    return redirect("voice:taxonomy")


@org_required(WRITE_PROGRAM_ROLES)
def theme_create(request: HttpRequest) -> HttpResponse:
    ctx = request.org
    form = ThemeForm(request.POST or None, ctx=ctx, initial={"parent": request.GET.get("parent") or None})
    done = _save_theme(
        request,
        form,
        lambda **fields: taxonomy.theme_create(ctx, **fields),
        _("Theme “%(name)s” created. Its comments are tagged in the background."),
    )
    return done or render(request, "voice/theme_form.html", {"form": form})


@org_required(WRITE_PROGRAM_ROLES)
def theme_edit(request: HttpRequest, pk: int) -> HttpResponse:
    ctx = request.org
    theme = selectors.theme_get(ctx, pk)
    form = ThemeForm(request.POST or None, ctx=ctx, theme=theme)
    done = _save_theme(
        request,
        form,
        lambda **fields: taxonomy.theme_update(ctx, theme, **fields),
        _("Theme “%(name)s” saved."),
        _("Theme “%(name)s” saved. The comments are being tagged again."),
    )
    return done or render(request, "voice/theme_form.html", {"form": form, "theme": theme})


@org_required(WRITE_PROGRAM_ROLES)
@require_POST
def theme_archive(request: HttpRequest, pk: int) -> HttpResponse:
    ctx = request.org
    theme = selectors.theme_get(ctx, pk)
    taxonomy.theme_archive(ctx, theme)
    messages.success(
        request, _("Theme “%(name)s” archived: comments are no longer tagged with it.") % {"name": theme.name}
    )
    return redirect("voice:taxonomy")


@org_required()
@require_safe
def run_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress of a re-tagging or discovery run (polled by htmx every 2 s until it has finished)."""
    return render(request, "voice/_run_progress.html", {"run": selectors.run_get(request.org, pk)})


# -- proposals --------------------------------------------------------------------------------------------------


@org_required(PROPOSAL_READ_ROLES)
@require_safe
def proposal_list(request: HttpRequest) -> HttpResponse:
    ctx = request.org
    can_edit = ctx.can_edit_program
    # proposal_get attaches the example comments the reader may see (masked); a page holds few proposals.
    proposals = [selectors.proposal_get(ctx, p.pk) for p in selectors.proposal_list(ctx)[:MAX_PROPOSALS]]
    for p in proposals:
        p.examples = [
            {"comment": c, "highlighted": selectors.comment_highlight(c.masked_text, " ".join(p.terms), c.language)}
            for c in p.example_comments[:EXAMPLES_PER_PROPOSAL]
        ]
        if can_edit:
            p.accept_form = ProposalAcceptForm(ctx=ctx, initial={"name": p.label}, auto_id=f"p{p.pk}_accept_%s")
            p.merge_form = ProposalMergeForm(ctx=ctx, auto_id=f"p{p.pk}_merge_%s")
    return render(
        request,
        "voice/proposal_list.html",
        {"proposals": proposals, "run": selectors.run_latest(ctx, VoiceRun.Kind.DISCOVER), "can_edit": can_edit},
    )


def _errors_to_messages(request: HttpRequest, errors) -> HttpResponse:
    for error in errors:
        messages.error(request, error)
    return redirect("voice:proposal_list")


@org_required(WRITE_PROGRAM_ROLES)
@require_POST
def proposal_accept(request: HttpRequest, pk: int) -> HttpResponse:
    ctx = request.org
    proposal = selectors.proposal_get(ctx, pk)
    form = ProposalAcceptForm(request.POST, ctx=ctx)
    if not form.is_valid():
        return _errors_to_messages(request, [e for errors in form.errors.values() for e in errors])
    try:
        theme = taxonomy.proposal_accept(
            ctx, proposal, name=form.cleaned_data["name"].strip(), parent=form.cleaned_data["parent"]
        )
    except ValidationError as exc:
        return _errors_to_messages(request, exc.messages)
    except IntegrityError:
        return _errors_to_messages(request, [_("A theme with this name already exists at this level.")])
    messages.success(request, _("Theme “%(name)s” added from the proposal.") % {"name": theme.name})
    return redirect("voice:proposal_list")


@org_required(WRITE_PROGRAM_ROLES)
@require_POST
def proposal_merge(request: HttpRequest, pk: int) -> HttpResponse:
    ctx = request.org
    proposal = selectors.proposal_get(ctx, pk)
    form = ProposalMergeForm(request.POST, ctx=ctx)
    if not form.is_valid():
        return _errors_to_messages(request, [e for errors in form.errors.values() for e in errors])
    try:
        theme = taxonomy.proposal_merge(ctx, proposal, form.cleaned_data["theme"])
    except ValidationError as exc:
        return _errors_to_messages(request, exc.messages)
    messages.success(request, _("The proposal's terms were added to the theme “%(name)s”.") % {"name": theme.name})
    return redirect("voice:proposal_list")


@org_required(WRITE_PROGRAM_ROLES)
@require_POST
def proposal_reject(request: HttpRequest, pk: int) -> HttpResponse:
    ctx = request.org
    proposal = selectors.proposal_get(ctx, pk)
    try:
        taxonomy.proposal_reject(ctx, proposal)
    except ValidationError as exc:
        return _errors_to_messages(request, exc.messages)
    messages.success(
        request, _("Proposal “%(label)s” rejected: its terms are not proposed again.") % {"label": proposal.label}
    )
    return redirect("voice:proposal_list")


@org_required(WRITE_PROGRAM_ROLES)
@require_POST
def discovery_start(request: HttpRequest) -> HttpResponse:
    try:
        taxonomy.discovery_start(request.org)
    except ValidationError as exc:
        return _errors_to_messages(request, exc.messages)
    messages.success(request, _("Looking for new themes in the comments that no theme covers."))
    return redirect("voice:proposal_list")

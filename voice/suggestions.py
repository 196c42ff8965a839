"""The root cause suggested to a case from its comment's themes, what frontline did with it, and how often it was right.

A theme may map to a root cause (Theme.root_cause). A case whose comment has a mapped theme gets one CaseSuggestion:
the most specific theme (a sub-theme before a top-level theme), then the most negative one (the sentences that
mention it). A sub-theme without a mapping of its own suggests its parent's root cause. The suggestion is made
when the comment is analysed (voice.loop.after_analysis) or when a case is opened for an already analysed comment
(actions' `case_opened` signal), never for a case whose root cause is already chosen (it could not have helped).

Whoever sets the case's root cause settles it: confirmed when it is the suggested one, changed otherwise (the
receiver on the root-cause event, voice.signals_loop). Accuracy = confirmed / decided.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.scoping import OrgContext
from actions.models import FeedbackCase
from actions.selectors.cases import case_base_queryset, root_cause_path
from actions.services.cases import case_set_root_cause
from voice.models import CaseSuggestion, CommentAnalysis, CommentTheme, Theme

Outcome = CaseSuggestion.Outcome


@dataclass(frozen=True)
class _Candidate:
    theme_id: int
    root_cause_id: int
    specific: bool  # a sub-theme with its own mapping
    sentiment: float

    @property
    def rank(self) -> tuple:
        return (not self.specific, self.sentiment, self.theme_id)


def suggest_for_responses(response_ids: list[int]) -> list[CaseSuggestion]:
    """Suggest a root cause to each case of these responses that has none yet (idempotent); return those created.

    Two queries when the responses have cases without a suggestion, one otherwise.
    """
    if not response_ids:
        return []
    cases = list(
        FeedbackCase.objects.filter(
            response_id__in=response_ids, voice_suggestion__isnull=True, root_cause__isnull=True
        ).values_list("pk", "organization_id", "response_id")
    )
    if not cases:
        return []
    links = CommentTheme.objects.filter(
        analysis__response_id__in=[response_id for _pk, _org, response_id in cases],
        analysis__status=CommentAnalysis.Status.DONE,
        theme__status=Theme.Status.ACTIVE,
    ).values_list(
        "analysis__response_id",
        "theme_id",
        "theme__root_cause_id",
        "theme__root_cause__is_active",
        "theme__parent_id",
        "theme__parent__root_cause_id",
        "theme__parent__root_cause__is_active",
        "sentiment",
    )
    best: dict[int, _Candidate] = {}
    for response_id, theme_id, root_cause_id, active, parent_id, parent_cause_id, parent_active, sentiment in links:
        # A root cause retired from the taxonomy is not suggested (nobody could choose it on the case page).
        if root_cause_id is not None and active:
            candidate = _Candidate(theme_id, root_cause_id, parent_id is not None, _sentiment(sentiment))
        elif parent_cause_id is not None and parent_active:
            candidate = _Candidate(parent_id, parent_cause_id, False, _sentiment(sentiment))
        else:
            continue
        if response_id not in best or candidate.rank < best[response_id].rank:
            best[response_id] = candidate
    now = timezone.now()
    suggestions = [
        CaseSuggestion(
            organization_id=organization_id,
            case_id=case_id,
            theme_id=best[response_id].theme_id,
            root_cause_id=best[response_id].root_cause_id,
            created_at=now,
        )
        for case_id, organization_id, response_id in cases
        if response_id in best
    ]
    # A case suggested to by a concurrent chunk keeps that suggestion (one per case, the unique index decides).
    return CaseSuggestion.objects.bulk_create(suggestions, ignore_conflicts=True)


def _sentiment(value: float | None) -> float:
    return math.inf if value is None else value


def suggestion_settle(*, case_id: int, root_cause_id: int | None, actor=None, at: dt.datetime | None = None) -> int:
    """Record what the case's new root cause says about its suggestion: confirmed (the suggested one), changed
    (another one), or undecided again (root cause cleared). Returns 0 when the case has no suggestion."""
    suggestions = CaseSuggestion.objects.filter(case_id=case_id)
    if root_cause_id is None:
        return suggestions.update(outcome=Outcome.PENDING, decided_by=None, decided_at=None)
    decided_by = actor if actor is not None and actor.is_authenticated else None
    confirmed = suggestions.filter(root_cause_id=root_cause_id).update(
        outcome=Outcome.CONFIRMED, decided_by=decided_by, decided_at=at or timezone.now()
    )
    if confirmed:
        return confirmed
    return suggestions.update(outcome=Outcome.CHANGED, decided_by=decided_by, decided_at=at or timezone.now())


def suggestion_confirm(*, ctx: OrgContext, case: FeedbackCase) -> CaseSuggestion:
    """Set the case's root cause to the suggested one (the case page's own service, with its timeline event) and
    mark the suggestion confirmed. The caller must be allowed to act on the case (checked on the locked row)."""
    suggestion = CaseSuggestion.objects.filter(case=case).select_related("root_cause").first()
    if suggestion is None or suggestion.root_cause is None or not suggestion.root_cause.is_active:
        raise ValidationError(_("This case has no root cause to confirm."))
    if not case.is_open:
        raise ValidationError(_("The case is closed; reopen it first."))
    at = timezone.now()
    with transaction.atomic():
        case_set_root_cause(ctx=ctx, case=case, root_cause=suggestion.root_cause, at=at)
        # Also when the root cause was already the suggested one (no event, so no receiver ran).
        suggestion_settle(case_id=case.pk, root_cause_id=suggestion.root_cause_id, actor=ctx.user, at=at)
    suggestion.refresh_from_db()
    return suggestion


# -- reads --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThemeChip:
    theme_id: int
    label: str
    sentiment: float | None


@dataclass(frozen=True)
class CaseVoice:
    """What the case page shows of the comment's analysis."""

    analyses: list[CommentAnalysis]
    themes: list[ThemeChip]  # of every analysed comment of the response, most negative first
    suggestion: CaseSuggestion | None
    suggestion_label: str = ""  # "Theme > Sub-theme"
    root_cause_label: str = ""  # "Technician > Late"

    @property
    def pending(self) -> bool:
        return any(a.status == CommentAnalysis.Status.PENDING for a in self.analyses)


def theme_label(theme: Theme, language: str | None = None) -> str:
    """The theme's name in the reader's language, "Parent > Sub" for a sub-theme."""

    def name(t: Theme) -> str:
        return ((t.labels or {}).get(language or "") or t.name) if language else t.name

    return f"{name(theme.parent)} › {name(theme)}" if theme.parent_id else name(theme)


def case_voice(*, case: FeedbackCase) -> CaseVoice:
    """The analyses of the case's comments (masked text, sentiment, drivers), their themes and the suggestion
    (three queries). The case comes from actions' scoped `case_get`."""
    analyses = list(
        CommentAnalysis.objects.filter(response_id=case.response_id, organization_id=case.organization_id).order_by(
            "pk"
        )
    )
    language = translation.get_language()
    done = [a.pk for a in analyses if a.status == CommentAnalysis.Status.DONE]
    themes: dict[int, ThemeChip] = {}
    if done:
        links = (
            CommentTheme.objects.filter(analysis__in=done)
            .select_related("theme", "theme__parent")
            .order_by(F("sentiment").asc(nulls_last=True), "pk")
        )
        for link in links:
            chip = ThemeChip(link.theme_id, theme_label(link.theme, language), link.sentiment)
            themes.setdefault(link.theme_id, chip)
    suggestion = (
        CaseSuggestion.objects.filter(case=case)
        .select_related("theme", "theme__parent", "root_cause", "root_cause__parent")
        .first()
    )
    return CaseVoice(
        analyses=analyses,
        themes=list(themes.values()),
        suggestion=suggestion,
        suggestion_label=theme_label(suggestion.theme, language) if suggestion and suggestion.theme else "",
        root_cause_label=root_cause_path(suggestion.root_cause) if suggestion and suggestion.root_cause else "",
    )


@dataclass(frozen=True)
class ThemeAccuracy:
    theme: Theme | None
    decided: int
    confirmed: int
    changed: int

    @property
    def accuracy(self) -> float | None:
        return self.confirmed / self.decided if self.decided else None

    @property
    def percent(self) -> float | None:
        return None if self.accuracy is None else 100 * self.accuracy


def suggestion_accuracy(ctx: OrgContext, *, start: dt.date | None = None, end: dt.date | None = None) -> dict:
    """How often the suggested root cause was kept, over the suggestions decided between `start` and `end`
    (inclusive dates, local), on the cases the context may see: {decided, confirmed, changed, accuracy (0..1 or
    None), percent (0..100 or None), per_theme: [ThemeAccuracy, most decided first]} (two queries)."""
    qs = CaseSuggestion.objects.for_org(ctx.organization).filter(
        case__in=case_base_queryset(ctx=ctx).values("pk"), outcome__in=[Outcome.CONFIRMED, Outcome.CHANGED]
    )
    if start is not None:
        qs = qs.filter(decided_at__gte=_day_start(start))
    if end is not None:
        qs = qs.filter(decided_at__lt=_day_start(end + dt.timedelta(days=1)))
    rows = list(
        qs.values("theme_id")
        .annotate(
            decided=Count("pk"),
            confirmed=Count("pk", filter=Q(outcome=Outcome.CONFIRMED)),
            changed=Count("pk", filter=Q(outcome=Outcome.CHANGED)),
        )
        .order_by()
    )
    themes = (
        Theme.objects.for_org(ctx.organization)
        .select_related("parent")
        .in_bulk([r["theme_id"] for r in rows if r["theme_id"] is not None])
    )
    per_theme = sorted(
        (
            ThemeAccuracy(
                theme=themes.get(r["theme_id"]), decided=r["decided"], confirmed=r["confirmed"], changed=r["changed"]
            )
            for r in rows
        ),
        key=lambda t: (-t.decided, t.theme.name if t.theme else ""),
    )
    totals = defaultdict(int)
    for r in rows:
        for key in ("decided", "confirmed", "changed"):
            totals[key] += r[key]
    decided = totals["decided"]
    return {
        "decided": decided,
        "confirmed": totals["confirmed"],
        "changed": totals["changed"],
        "accuracy": totals["confirmed"] / decided if decided else None,
        "percent": 100 * totals["confirmed"] / decided if decided else None,
        "per_theme": per_theme,
    }


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))

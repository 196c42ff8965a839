"""Alert rules on the analysed comment: a theme condition and/or negative sentiment.

The drain evaluates every other rule (actions.services.rules) before the comment is analysed; rules with a text
condition wait for the analysis and are evaluated here, for each analysed chunk (voice.loop.after_analysis). The same
rules as in the drain apply: only responses without a case, submitted within ACTIONS_MAX_RESPONSE_AGE_DAYS, to
customer surveys; the rule's scope and its other conditions through actions' reference `rule_matches`; the first
matching rule by priority opens the case through `case_open`, the others are named as also matched.

The text conditions hold on one comment (a response with two comments matches "theme Invoice AND negative" only when
the comment about the invoice is the negative one):
- themes: the comment has one of the rule's themes; a chosen theme also matches its sub-themes.
- negative sentiment: the comment's label is "negative", or "mixed" with at least one negative sentence (a comment
  that praises the technician and complains about the invoice is a complaint to follow up).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from actions.models import AlertRule, FeedbackCase
from actions.services.rules import _Revenue, response_facts, rule_matches
from surveys.models import Response, Survey
from voice.models import CommentAnalysis, CommentTheme, Sentiment

TEXT_RULES = Q(on_themes=True) | Q(negative_sentiment=True)


@dataclass
class CommentFacts:
    """What the text conditions look at in one analysed comment."""

    themes: set[int] = field(default_factory=set)  # its themes and their parents
    negative: bool = False


def is_negative(label: str, sentences: list | None) -> bool:
    if label == Sentiment.NEGATIVE:
        return True
    if label == Sentiment.MIXED:
        return any(isinstance(s, dict) and s.get("label") == Sentiment.NEGATIVE for s in sentences or [])
    return False


def text_conditions_hold(rule: AlertRule, theme_ids: set[int], comment: CommentFacts) -> bool:
    """`theme_ids`: the rule's themes (empty: no theme condition)."""
    if rule.negative_sentiment and not comment.negative:
        return False
    return not (rule.on_themes and not theme_ids & comment.themes)


def _in_scope(rule: AlertRule, response: Response) -> bool:
    return (
        rule.organization_id == response.organization_id
        and rule.touchpoint_id in (None, response.touchpoint_id)
        and rule.journey_id in (None, response.journey_id)
        and rule.survey_id in (None, response.survey_id)
    )


def text_rules_evaluate(
    response_ids: list[int], organization_ids: list[int] | None = None, *, now: dt.datetime | None = None
) -> list[FeedbackCase]:
    """Open the cases the analysed comments of these responses call for; return the cases opened.

    One query when the organizations have no active rule with a text condition (most chunks). Idempotent: responses
    that have a case are skipped, and `case_open` settles races on the response's unique case.
    """
    if not response_ids:
        return []
    now = now or timezone.now()
    rules_qs = AlertRule.objects.active().filter(TEXT_RULES)
    if organization_ids is not None:
        rules_qs = rules_qs.filter(organization_id__in=organization_ids)
    rules = list(rules_qs.prefetch_related("themes").order_by("priority", "pk"))
    if not rules:
        return []
    cutoff = now - dt.timedelta(days=settings.ACTIONS_MAX_RESPONSE_AGE_DAYS)
    analyses = list(
        CommentAnalysis.objects.done()
        .filter(
            response_id__in=response_ids,
            organization_id__in={rule.organization_id for rule in rules},
            response__submitted_at__gte=cutoff,
            response__feedback_case__isnull=True,
        )
        .exclude(survey__kind__in=Survey.INTERNAL_KINDS)
        .values_list("pk", "response_id", "sentiment_label", "sentences")
    )
    if not analyses:
        return []
    comments: dict[int, CommentFacts] = {}
    by_response: dict[int, list[CommentFacts]] = defaultdict(list)
    for pk, response_id, label, sentences in analyses:
        comments[pk] = CommentFacts(negative=is_negative(label, sentences))
        by_response[response_id].append(comments[pk])
    if any(rule.on_themes for rule in rules):
        links = CommentTheme.objects.filter(analysis_id__in=comments).values_list(
            "analysis_id", "theme_id", "theme__parent_id"
        )
        for analysis_id, theme_id, parent_id in links:
            comments[analysis_id].themes.update(t for t in (theme_id, parent_id) if t is not None)
    rule_themes = {rule.pk: {t.pk for t in rule.themes.all()} for rule in rules}

    # Candidates: a rule whose text conditions one of the comments meets. Scope and the other conditions come next,
    # on the responses themselves (few: most comments meet no text condition).
    candidates = {
        response_id: [rule for rule in rules if any(text_conditions_hold(rule, rule_themes[rule.pk], c) for c in facts)]
        for response_id, facts in by_response.items()
    }
    candidates = {response_id: found for response_id, found in candidates.items() if found}
    if not candidates:
        return []
    from actions.services.cases import case_open

    responses = Response.objects.select_related("touchpoint", "organization").in_bulk(sorted(candidates))
    cases = []
    for response_id in sorted(responses):
        response = responses[response_id]
        scoped = [rule for rule in candidates[response_id] if _in_scope(rule, response)]
        if not scoped:
            continue
        facts, revenue = response_facts(response), _Revenue(response)
        matched = [rule for rule in scoped if rule_matches(rule, facts, revenue)]
        if not matched:
            continue
        case, _created = case_open(
            response=response, rule=matched[0], also_matched=matched[1:], nps=facts.nps, csat=facts.csat, now=now
        )
        cases.append(case)
    return cases

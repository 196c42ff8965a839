"""Demo step: the voice of the customer on the demo's comments.

- the starter taxonomy (voice.starter), each theme mapped to a root cause: the actions step's causes where one fits,
  and the few the starter names that the actions step has not (Delivery, Contract, Digital channels, ...);
- the comments made richer from the bank in demo.seed.voice_comments, in the respondent's language and fitting the
  score and the touchpoint: detractors write about outages, wrong invoices, waiting and price increases, promoters
  praise friendly technicians, quick installations and the app, passives write mixed comments; a few carry a phone
  number or an e-mail address, a few are in another language, and since last month many complain about the new
  app's login (the emerging theme). About a third keep the surveys step's comment, and a share of the responses
  without a comment get one (detractors more often). A comment whose alert-rule case
  was opened on its words is left as it is, and no recent comment gets words a keyword rule would have acted on;
- every comment analysed at once (language, masking, sentiment, themes) with the statistics recomputed, so the
  insight pages show figures as soon as the seed is done.

Runs after the actions step (its root causes, and the cases the analysis adds a suggested root cause to). Uses its
own random generator derived from `sc.rng` without drawing from it, so the steps after it are unchanged.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from typing import TYPE_CHECKING

from actions.models import AlertRule, FeedbackCase, RootCause
from actions.models.rules import keyword_pattern
from demo.seed.actions import CASE_WINDOW_DAYS
from demo.seed.voice_comments import (
    EMERGING,
    MIXED,
    NEGATIVE,
    OTHER_LANGUAGE,
    PERSONAL_DATA,
    POSITIVE,
    REMARKS,
    Remark,
    phone_number,
    topic_for,
)
from surveys.models import Answer, Question
from voice.models import LANGUAGES, CommentAnalysis, CommentTheme
from voice.services import analyse_responses_now
from voice.starter import install_starter_taxonomy, iter_starter_themes

if TYPE_CHECKING:
    from demo.seed import SeedContext

KEEP_ORIGINAL = 0.3
OTHER_LANGUAGE_SHARE = 0.012
PERSONAL_DATA_SHARE = 0.04
SECOND_REMARK_SHARE = 0.15
# Responses without a comment that get one (by NPS category): the demo is about what customers write.
ADD_COMMENT = {"detractor": 0.6, "passive": 0.25, "promoter": 0.25}
# The new app's login trouble: share of the detractors' and passives' comments about it, this month and last.
EMERGING_SHARE = {0: 0.5, 1: 0.2}
# What the story puts first: detractors mostly write about outages, invoices, waiting and prices; promoters about
# technicians, installations, the app and friendly staff (a remark's weight, divided by its uses so far).
STORY_WEIGHT = {
    NEGATIVE: {"Outage": 4, "Invoice": 4, "Waiting time": 4, "Price": 3},
    POSITIVE: {"Technician": 4, "Installation": 3, "App & self-service": 3, "Staff": 2},
}
TONES = {
    "detractor": ([NEGATIVE, MIXED], [0.85, 0.15]),
    "passive": ([MIXED, NEGATIVE, POSITIVE], [0.6, 0.2, 0.2]),
    "promoter": ([POSITIVE, MIXED], [0.9, 0.1]),
}


def seed(sc: SeedContext) -> None:
    org = sc.organization
    # Derived from the shared generator's state without drawing from it (a str seed is hashed with SHA-512, the same
    # every run), so the steps after this one get the numbers they always got.
    rng = random.Random(repr(sc.rng.getstate()[1]))
    causes = _root_causes(org)
    themes = install_starter_taxonomy(org, user=sc.users.get("cx"))
    rewritten, added, response_ids = _comments(sc, rng)
    analysed = analyse_responses_now(response_ids)

    done = CommentAnalysis.objects.for_org(org).done()
    languages = Counter(done.values_list("language", flat=True))
    tops = Counter(
        CommentTheme.objects.for_org(org).filter(theme__parent__isnull=True).values_list("theme__name", flat=True)
    )
    sc.log(
        f"  {themes} themes ({causes} root causes added), {rewritten} comments rewritten and {added} added, "
        f"{analysed} analysed "
        f"({', '.join(f'{n} {lang}' for lang, n in sorted(languages.items()))}; "
        f"{done.filter(has_personal_data=True).count()} with personal data masked)"
    )
    sc.log("  comments per theme: " + ", ".join(f"{name} {n}" for name, n in tops.most_common()))


def _root_causes(org) -> int:
    """Add the root causes the starter taxonomy names that the organization does not have; return how many."""
    existing = {
        (rc.parent.name if rc.parent_id else None, rc.name)
        for rc in RootCause.objects.for_org(org).select_related("parent")
    }
    wanted = sorted({spec["root_cause"] for spec, _parent, _position in iter_starter_themes() if spec["root_cause"]})
    added = 0
    for path in wanted:
        parent_name, _, name = path.rpartition(" > ")
        parent = None
        if parent_name:
            parent = RootCause.objects.for_org(org).filter(parent=None, name=parent_name).first()
            if parent is None:
                position = RootCause.objects.for_org(org).filter(parent=None).count() + 1
                parent = RootCause.objects.create(organization=org, name=parent_name, position=position)
                existing.add((None, parent_name))
                added += 1
        if (parent_name or None, name) in existing:
            continue
        position = RootCause.objects.for_org(org).filter(parent=parent).count() + 1
        RootCause.objects.create(organization=org, name=name, parent=parent, position=position)
        existing.add((parent_name or None, name))
        added += 1
    return added


def _category(score: float | None) -> str:
    if score is None:
        return "passive"
    return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"


def _months_back(day: dt.date, today: dt.date) -> int:
    return (today.year - day.year) * 12 + today.month - day.month


class _Writer:
    """Chooses each comment's new text: the story's themes first, a remark less likely the more it was used."""

    def __init__(self, rng: random.Random, keyword_patterns: list) -> None:
        self.rng = rng
        self.patterns = keyword_patterns
        self.used: Counter = Counter()
        self.other_language = 0

    def triggers_rule(self, text: str) -> bool:
        return any(p.search(text) for p in self.patterns)

    def pick(self, pool: list[Remark], language: str, *, guard: bool) -> Remark | None:
        if guard:
            pool = [r for r in pool if not self.triggers_rule(r.text(language))]
        if not pool:
            return None
        weights = [STORY_WEIGHT.get(r.tone, {}).get(r.theme, 1) / (1 + self.used[r, language]) for r in pool]
        remark = self.rng.choices(pool, weights=weights)[0]
        self.used[remark, language] += 1
        return remark

    def remark_for(self, *, language: str, topic: str, category: str, guard: bool) -> Remark | None:
        tones, weights = TONES[category]
        tone = self.rng.choices(tones, weights=weights)[0]
        pool = [r for r in REMARKS if r.tone == tone and (topic == "relationship" or topic in r.topics)]
        return self.pick(pool or [r for r in REMARKS if r.tone == tone], language, guard=guard)

    def extras(self, text: str, remark: Remark, *, language: str, customer_email: str, guard: bool) -> str:
        rng = self.rng
        if remark.tone != MIXED and rng.random() < SECOND_REMARK_SHARE:
            pool = [r for r in REMARKS if r.tone == remark.tone and r.theme != remark.theme]
            second = self.pick(pool, language, guard=guard)
            if second is not None:
                text = f"{text} {second.text(language)}"
        if rng.random() < PERSONAL_DATA_SHARE:
            template = rng.choice(PERSONAL_DATA[language] if customer_email else PERSONAL_DATA[language][:1])
            text = f"{text} {template.format(phone=phone_number(language, rng), email=customer_email)}"
        return text


def _comments(sc: SeedContext, rng: random.Random) -> tuple[int, int, list[int]]:
    """Rewrite most comments from the bank and add some; return how many were rewritten, how many added, and the
    ids of every response with a comment."""
    org, today = sc.organization, sc.today
    answers = list(
        Answer.objects.for_org(org)
        .filter(question__kind=Question.Kind.TEXT)
        .exclude(text="")
        .select_related("response__touchpoint", "response__customer")
        .order_by("submitted_on", "pk")
    )
    added = _new_comment_rows(org, rng, {a.response_id for a in answers})
    scores = dict(
        Answer.objects.for_org(org).filter(metric="nps", value__isnull=False).values_list("response_id", "value")
    )
    keyword_rules = AlertRule.objects.for_org(org).exclude(keywords="")
    patterns = [p for p in (keyword_pattern(rule.keyword_list) for rule in keyword_rules) if p is not None]
    # Cases opened on a comment's words keep their comment; other recent comments must not gain such words.
    worded_cases = set(
        FeedbackCase.objects.for_org(org).filter(rule__in=keyword_rules).values_list("response_id", flat=True)
    )
    case_window_start = today - dt.timedelta(days=CASE_WINDOW_DAYS)
    writer = _Writer(rng, patterns)
    changed: list[Answer] = []
    kept: list[tuple[Answer, str]] = []
    for answer in [*answers, *added]:
        response = answer.response
        language = response.language if response.language in LANGUAGES else "sv"
        category = _category(scores.get(answer.response_id))
        guard = answer.submitted_on >= case_window_start
        if answer.response_id in worded_cases:
            continue
        months_back = _months_back(answer.submitted_on, today)
        if category != "promoter" and rng.random() < EMERGING_SHARE.get(months_back, 0.0):
            remark = writer.pick(EMERGING, language, guard=guard)
            if remark is not None:
                answer.text = remark.text(language)
                changed.append(answer)
                continue
        draw = rng.random()
        if draw < KEEP_ORIGINAL and answer.pk:
            kept.append((answer, category))
            continue
        if KEEP_ORIGINAL <= draw < KEEP_ORIGINAL + OTHER_LANGUAGE_SHARE:
            answer.text = rng.choice(OTHER_LANGUAGE)
            writer.other_language += 1
            changed.append(answer)
            continue
        topic = topic_for(response.touchpoint.name if response.touchpoint_id else None)
        remark = writer.remark_for(language=language, topic=topic, category=category, guard=guard)
        if remark is None:
            if answer.pk:
                kept.append((answer, category))
            continue
        email = response.customer.email if response.customer_id else ""
        answer.text = writer.extras(remark.text(language), remark, language=language, customer_email=email, guard=guard)
        changed.append(answer)
    _cover_every_theme(writer, kept, changed, case_window_start)
    rewritten = [a for a in changed if a.pk]
    new = [a for a in changed if not a.pk and a.text]
    Answer.objects.bulk_update(rewritten, ["text"], batch_size=1000)
    Answer.objects.bulk_create(new, batch_size=1000)
    return len(rewritten), len(new), sorted({a.response_id for a in [*answers, *added] if a.text})


def _new_comment_rows(org, rng: random.Random, commented: set[int]) -> list[Answer]:
    """Unsaved, empty comment answers for a share of the scored responses without a comment (text filled later)."""
    why = {q.version_id: q for q in Question.objects.for_org(org).filter(kind=Question.Kind.TEXT, code="why")}
    rows = []
    scored = (
        Answer.objects.for_org(org)
        .filter(metric="nps", value__isnull=False)
        .select_related("response__touchpoint", "response__customer")
        .order_by("submitted_on", "pk")
    )
    for nps in scored:
        if nps.response_id in commented:
            continue
        question = why.get(nps.response.version_id)
        if question is None or rng.random() >= ADD_COMMENT[_category(nps.value)]:
            continue
        rows.append(
            Answer(
                organization=org,
                response=nps.response,
                customer_id=nps.customer_id,
                question=question,
                touchpoint_id=nps.touchpoint_id,
                submitted_on=nps.submitted_on,
                metric="",
                value=None,
                text="",
            )
        )
    return rows


def _cover_every_theme(
    writer: _Writer, kept: list[tuple[Answer, str]], changed: list[Answer], case_window_start: dt.date
) -> None:
    """A small demo may by chance miss a theme, or a comment in another language: give it one of the comments that
    kept their text."""
    if not writer.other_language and kept:
        answer, _category = kept.pop()
        answer.text = OTHER_LANGUAGE[0]
        changed.append(answer)
    used_themes = {remark.theme for (remark, _lang), n in writer.used.items() if n}
    top_level = [spec["name"] for spec, parent, _position in iter_starter_themes() if parent is None]
    for name in top_level:
        if name in used_themes:
            continue
        for index, (answer, category) in enumerate(kept):
            language = answer.response.language if answer.response.language in LANGUAGES else "sv"
            tones = TONES[category][0]
            pool = [r for r in REMARKS if r.theme == name and r.tone in tones]
            remark = writer.pick(pool, language, guard=answer.submitted_on >= case_window_start)
            if remark is not None:
                answer.text = remark.text(language)
                changed.append(answer)
                del kept[index]
                break

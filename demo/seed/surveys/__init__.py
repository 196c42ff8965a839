"""Demo step: surveys, links, invitations, contact decisions and 12+ months of responses with a story in them.

The story: most touchpoints do fine, the technician visit (the moment of truth) and billing questions by phone
clearly do not, and a customer's experience at the technician visit drives their relationship NPS. Comments, in
the respondent's language, match the score and name the touchpoint's known pain points. The technician visit gets
better over the last months (the improvement actions have something to measure).

Each surveyable customer gets invitation "slots" at least the quarantine apart; a slot is a touchpoint event (or,
every six months, the relationship pulse) that becomes an invitation, answered or not. A share of touchpoint events
inside the quarantine is logged as not invited, customers without consent get `no_consent` decisions, and QR
links at stores and web touchpoints collect anonymous answers. Rows go in with bulk_create; `processed_at` is set
so nothing waits for follow-up processing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import random
import secrets
from collections.abc import Iterator
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.core.management.color import no_style
from django.db import connection, models
from django.db.models import Max
from django.utils import timezone

from accounts.models import Role
from accounts.scoping import OrgContext
from demo.seed.surveys.texts import COMMENTS, FOCUS_OPTIONS, RELATIONSHIP_NPS_TEXT, comment_category
from journeys.models import Channel, Touchpoint
from surveys.builder import services as builder
from surveys.models import Answer, ContactDecision, Invitation, Question, Response, Survey, SurveyLink

if TYPE_CHECKING:
    from demo.seed import SeedContext

LANGUAGES = ["sv", "nb", "da", "en"]
BATCH = 2000
RESPONSE_RATE = 0.45
RELATIONSHIP_RESPONSE_RATE = 0.35
RELATIONSHIP_EVERY_DAYS = 182
EXTRA_GAP_DAYS = 25  # mean of the random part of the gap between two slots (after the quarantine)
ANONYMOUS_SHARE = 0.12  # anonymous QR/link answers, relative to invited answers, at web/app/store touchpoints
COMMENT_RATE = {"detractor": 0.75, "passive": 0.45, "promoter": 0.5}
# Contact decisions are an audit log: the demo keeps the last months of it (older rows would only slow the seed).
DECISION_LOG_DAYS = 120
ANONYMOUS_LANGUAGES = [("sv", 0.52), ("nb", 0.24), ("da", 0.18), ("en", 0.06)]

# How often each touchpoint surveys (relative), and its mean score on the 0-10 scale, by name; others get the
# defaults of their comment category. The moment of truth is weighted up so the value model has enough customers.
FREQUENCY = {
    "Technician visit": 4.0,
    "Monthly invoice": 2.5,
    "Fault report by phone": 2.0,
    "Support chat": 1.8,
    "Billing question by phone": 2.0,
    "Remote troubleshooting": 1.8,
    "Web order": 1.5,
}
MEAN_SCORE = {
    "Technician visit": 6.5,
    "Billing question by phone": 5.9,
    "Billing question by chat": 6.6,
    "Repair visit": 6.6,
    "Payment reminder": 6.4,
    "Final invoice": 6.5,
    "First invoice": 6.7,
    "Web order": 8.4,
    "Payment in the app": 8.5,
    "Order confirmation": 8.2,
}
CATEGORY_MEAN = {"tech": 7.0, "billing": 7.3, "support": 7.2, "general": 8.0}
SCORE_SD = 2.0
RELATIONSHIP_MEAN = 7.6
# Relationship NPS shift after the customer's last technician visit score (detractor / passive / promoter).
MOT_EFFECT = {"detractor": -2.4, "passive": -0.3, "promoter": 0.8}
BILLING_PHONE_DETRACTOR_EFFECT = -0.8
SEGMENT_EFFECT = {"Premium": 0.3, "Business": -0.2}
MOT_IMPROVEMENT = 1.0  # points gained at the technician visit over the last third of the period


def _category(score: int) -> str:
    return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"


def _insert_rows(model: type[models.Model], rows: list[dict]) -> None:
    """INSERT plain rows (attname -> value) with executemany: the seed's largest tables skip model instances.

    Every column is written; a missing key takes the field's default. Explicit ids move the PostgreSQL sequence.
    """
    if not rows:
        return
    fields = [f for f in model._meta.concrete_fields if f.attname in rows[0] or not f.primary_key]
    adapt = []
    for f in fields:
        if isinstance(f, models.DateTimeField):
            adapt.append(connection.ops.adapt_datetimefield_value)
        elif isinstance(f, models.JSONField):
            adapt.append(json.dumps)
        else:
            adapt.append(None)
    values = [
        tuple(
            (fn(r[f.attname]) if fn and r[f.attname] is not None else r[f.attname])
            if f.attname in r
            else f.get_default()
            for f, fn in zip(fields, adapt, strict=True)
        )
        for r in rows
    ]
    qn = connection.ops.quote_name
    # Table and column names come from the model, values are bound.
    insert = f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) VALUES "  # noqa: S608
    with connection.cursor() as cursor:
        for start in range(0, len(values), BATCH * 5):
            chunk = values[start : start + BATCH * 5]
            if connection.vendor == "postgresql":
                from psycopg2.extras import execute_values

                execute_values(cursor.cursor, insert + "%s", chunk, page_size=BATCH)
            else:
                cursor.executemany(insert + f"({', '.join(['%s'] * len(fields))})", chunk)
        if model._meta.pk.attname in rows[0]:
            for statement in connection.ops.sequence_reset_sql(no_style(), [model]):
                cursor.execute(statement)


@contextlib.contextmanager
def _historical_timestamps(*fields: models.DateTimeField) -> Iterator[None]:
    """Let bulk_create keep the created_at we set: demo rows happened in the past."""
    saved = [(f, f.auto_now_add) for f in fields]
    try:
        for f, _ in saved:
            f.auto_now_add = False
        yield
    finally:
        for f, value in saved:
            f.auto_now_add = value


def _create_surveys(sc: SeedContext, touchpoints: list[Touchpoint], published_at: dt.datetime) -> tuple[Survey, Survey]:
    ctx = OrgContext(organization=sc.organization, role=Role.ADMIN)
    tp_survey = builder.survey_create(
        ctx=ctx,
        name="Touchpoint NPS",
        kind=Survey.Kind.TOUCHPOINT,
        languages=LANGUAGES,
        default_language="sv",
        touchpoints=touchpoints,
        reminder_count=1,
        reminder_delay_days=3,
        invitation_expiry_days=14,
    )
    builder.questions_add_preset(survey=tp_survey, preset="nps_why")
    builder.survey_publish(survey=tp_survey)

    rel = builder.survey_create(
        ctx=ctx,
        name="Relationship NPS (half-yearly)",
        kind=Survey.Kind.RELATIONSHIP,
        languages=LANGUAGES,
        default_language="sv",
        reminder_count=2,
        reminder_delay_days=4,
        invitation_expiry_days=21,
    )
    builder.questions_add_preset(survey=rel, preset="nps_why")
    builder.question_update(
        survey=rel,
        code="nps",
        text={lang: t.format(org=sc.organization.name) for lang, t in RELATIONSHIP_NPS_TEXT.items()},
        required=True,
    )
    builder.question_add(
        survey=rel,
        kind=Question.Kind.SINGLE_CHOICE,
        code="focus",
        text=FOCUS_OPTIONS["question"],
        options=[{"code": code, "text": texts} for code, texts in FOCUS_OPTIONS["options"]],
    )
    builder.survey_publish(survey=rel)

    for survey in (tp_survey, rel):
        survey.versions.update(published_at=published_at, created_at=published_at)
        Survey.objects.filter(pk=survey.pk).update(created_at=published_at - dt.timedelta(days=3))
        SurveyLink.objects.filter(survey=survey).update(created_at=published_at)
        survey.refresh_from_db()
    return tp_survey, rel


class _Builder:
    """Collects the rows of one demo history, then writes them in batches."""

    def __init__(self, sc: SeedContext, tp_survey: Survey, rel_survey: Survey) -> None:
        self.sc, self.rng, self.org = sc, sc.rng, sc.organization
        self.tz = ZoneInfo(self.org.timezone or "Europe/Stockholm")
        self.tp_survey, self.rel_survey = tp_survey, rel_survey
        self.questions = {s.pk: {q.code: q for q in s.current_version.questions.all()} for s in (tp_survey, rel_survey)}
        # Invitations and decisions are plain rows (attname -> value), written with _insert_rows.
        self.invitations: list[dict] = []
        self.decisions: list[dict] = []
        self.next_invitation_id = (Invitation.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
        # (response, [(question code, value, text, choices)])
        self.responses: list[tuple[Response, list[tuple[str, float | None, str, list[str]]]]] = []
        self.now = timezone.now()
        self.log_since = self.now - dt.timedelta(days=DECISION_LOG_DAYS)

    # -- scores and comments --

    def touchpoint_score(self, tp: Touchpoint, base: float, progress: float) -> int:
        mean = MEAN_SCORE.get(tp.name, CATEGORY_MEAN[comment_category(tp.name)]) + base
        if tp.pk == self.sc.extra["moment_of_truth"].pk:
            mean += MOT_IMPROVEMENT * max(0.0, (progress - 0.66) / 0.34)
        return max(0, min(10, round(self.rng.gauss(mean, SCORE_SD))))

    def comment(self, category: str, sentiment: str, language: str) -> str:
        if self.rng.random() >= COMMENT_RATE[sentiment]:
            return ""
        pool = COMMENTS[language][category].get(sentiment) or COMMENTS[language]["general"][sentiment]
        text = self.rng.choice(pool)
        if sentiment != "passive" and self.rng.random() < 0.25:
            # A second thought now and then, so comments are not all one-liners.
            extra = self.rng.choice(COMMENTS[language]["general"][sentiment])
            if extra != text:
                text = f"{text} {extra}"
        return text

    # -- rows --

    def local_time(self, day: dt.date) -> dt.datetime:
        minutes = self.rng.randint(8 * 60, 20 * 60)
        return dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), self.tz)

    def invite(self, *, customer, survey: Survey, tp: Touchpoint | None, at: dt.datetime, language: str) -> dict:
        invitation = {
            "id": self.next_invitation_id,
            "organization_id": self.org.pk,
            "survey_id": survey.pk,
            "touchpoint_id": tp.pk if tp else None,
            "customer_id": customer.pk,
            "token": secrets.token_urlsafe(32),
            "channel": Invitation.Channel.EMAIL,
            "language": language,
            "created_at": at,
            "send_after": at,
            "sent_at": at + dt.timedelta(minutes=self.rng.randint(1, 20)),
            "expires_at": at + dt.timedelta(days=survey.invitation_expiry_days),
            "reminders_sent": 0,
            "last_reminder_at": None,
            "used_at": None,
            "withdrawn_at": None,
            "_survey": survey,
        }
        self.next_invitation_id += 1
        self.invitations.append(invitation)
        self.decide(
            customer=customer,
            tp=tp,
            survey=survey,
            at=at,
            invitation_id=invitation["id"],
            decision=ContactDecision.Decision.INVITED,
            reason=ContactDecision.Reason.ELIGIBLE,
            message="Invited.",
            source=ContactDecision.Source.EVENT if tp else ContactDecision.Source.MANUAL,
        )
        return invitation

    def decide(self, *, customer, tp, survey, at, invitation_id, decision, reason, message, source) -> None:
        if at < self.log_since:
            return
        self.decisions.append(
            {
                "organization_id": self.org.pk,
                "customer_id": customer.pk,
                "customer_external_id": customer.external_id,
                "touchpoint_id": tp.pk if tp else None,
                "survey_id": survey.pk if survey else None,
                "invitation_id": invitation_id,
                "decision": decision,
                "reason": reason,
                "message": message,
                "source": source,
                "occurred_at": at if source == ContactDecision.Source.EVENT else None,
                "created_at": at,
            }
        )

    def not_invited(self, *, customer, tp: Touchpoint, at: dt.datetime, reason: str, message: str) -> None:
        self.decide(
            customer=customer,
            tp=tp,
            survey=self.tp_survey if reason != ContactDecision.Reason.NO_CONSENT else None,
            at=at,
            invitation_id=None,
            decision=ContactDecision.Decision.NOT_INVITED,
            reason=reason,
            message=message,
            source=ContactDecision.Source.EVENT,
        )

    def answer(
        self,
        *,
        survey: Survey,
        tp: Touchpoint | None,
        customer,
        invitation: dict | None,
        at: dt.datetime,
        language: str,
        score: int,
        category: str,
        choice: str = "",
    ) -> None:
        sentiment = _category(score)
        answers: list[tuple[str, float | None, str, list[str]]] = [("nps", float(score), "", [])]
        text = self.comment(category, sentiment, language)
        if text:
            answers.append(("why", None, text, []))
        if choice:
            answers.append(("focus", None, "", [choice]))
        response = Response(
            organization=self.org,
            survey=survey,
            version=survey.current_version,
            touchpoint=tp,
            journey_id=tp.journey_id if tp else survey.journey_id,
            customer_id=customer.pk if customer else None,
            invitation_id=invitation["id"] if invitation else None,
            language=language,
            channel=Channel.EMAIL if invitation else Channel.WEB,
            source=Response.Source.WEB,
            submitted_at=at,
            processed_at=at,
            created_at=at,
        )
        if invitation is not None:
            invitation["used_at"] = at
        self.responses.append((response, answers))

    # -- the story --

    def customer_history(self, customer, touchpoints: list[Touchpoint], weights: list[float]) -> None:
        rng, sc = self.rng, self.sc
        start, days = sc.start_date, (sc.today - sc.start_date).days
        quarantine = max(self.org.survey_quarantine_days, 1)
        base = rng.gauss(0, 0.9) + SEGMENT_EFFECT.get(customer.segment, 0.0)
        mot = sc.extra["moment_of_truth"]
        last_mot: str | None = None
        billing_pain = False
        last_relationship = -rng.randint(0, RELATIONSHIP_EVERY_DAYS)
        day = rng.randint(0, quarantine)
        while day <= days:
            at = self.local_time(start + dt.timedelta(days=day))
            if at >= self.now:
                break
            progress = day / max(days, 1)
            if day - last_relationship >= RELATIONSHIP_EVERY_DAYS:
                last_relationship = day
                invitation = self.invite(
                    customer=customer, survey=self.rel_survey, tp=None, at=at, language=customer.language
                )
                if rng.random() < RELATIONSHIP_RESPONSE_RATE:
                    mean = RELATIONSHIP_MEAN + base + (MOT_EFFECT[last_mot] if last_mot else 0.0)
                    mean += BILLING_PHONE_DETRACTOR_EFFECT if billing_pain else 0.0
                    score = max(0, min(10, round(rng.gauss(mean, SCORE_SD))))
                    focus = self.focus(score, last_mot, billing_pain)
                    self.answer(
                        survey=self.rel_survey,
                        tp=None,
                        customer=customer,
                        invitation=invitation,
                        at=self.submit_time(at, invitation),
                        language=customer.language,
                        score=score,
                        category="relationship",
                        choice=focus,
                    )
            else:
                tp = rng.choices(touchpoints, weights=weights)[0]
                invitation = self.invite(
                    customer=customer, survey=self.tp_survey, tp=tp, at=at, language=customer.language
                )
                if rng.random() < RESPONSE_RATE:
                    score = self.touchpoint_score(tp, base, progress)
                    if tp.pk == mot.pk:
                        last_mot = _category(score)
                    if tp.name == "Billing question by phone" and score <= 6:
                        billing_pain = True
                    self.answer(
                        survey=self.tp_survey,
                        tp=tp,
                        customer=customer,
                        invitation=invitation,
                        at=self.submit_time(at, invitation),
                        language=customer.language,
                        score=score,
                        category=comment_category(tp.name),
                    )
                if rng.random() < 0.3:
                    # Another touchpoint event inside the quarantine: logged, not surveyed.
                    later = at + dt.timedelta(days=rng.randint(1, quarantine - 1) if quarantine > 1 else 0, hours=2)
                    if later < self.now:
                        other = rng.choices(touchpoints, weights=weights)[0]
                        self.not_invited(
                            customer=customer,
                            tp=other,
                            at=later,
                            reason=ContactDecision.Reason.QUARANTINE,
                            message=f"Invited or answered on {at.date().isoformat()}, within the "
                            f"{self.org.survey_quarantine_days}-day quarantine.",
                        )
            day += quarantine + 1 + int(rng.expovariate(1 / EXTRA_GAP_DAYS))

    def focus(self, score: int, last_mot: str | None, billing_pain: bool) -> str:
        if self.rng.random() > 0.7:
            return ""
        if last_mot == "detractor" and self.rng.random() < 0.6:
            return "installation"
        if billing_pain and self.rng.random() < 0.5:
            return "invoice"
        weights = [0.35, 0.25, 0.2, 0.1, 0.1] if score <= 6 else [0.3, 0.2, 0.2, 0.1, 0.2]
        return self.rng.choices([code for code, _ in FOCUS_OPTIONS["options"]], weights=weights)[0]

    def submit_time(self, invited_at: dt.datetime, invitation: dict) -> dt.datetime:
        hours = min(self.rng.expovariate(1 / 20), 24 * 12)
        at = invited_at + dt.timedelta(hours=hours)
        if at - invited_at > dt.timedelta(days=3):
            delay = dt.timedelta(days=invitation["_survey"].reminder_delay_days)
            invitation["reminders_sent"], invitation["last_reminder_at"] = 1, invitation["sent_at"] + delay
        return min(at, self.now - dt.timedelta(minutes=5))

    def anonymous(self, touchpoints: list[Touchpoint], count: int) -> None:
        rng, sc = self.rng, self.sc
        days = (sc.today - sc.start_date).days
        langs, lang_weights = zip(*ANONYMOUS_LANGUAGES, strict=True)
        for _ in range(count):
            tp = rng.choice(touchpoints)
            at = self.local_time(sc.start_date + dt.timedelta(days=rng.randint(0, days)))
            if at >= self.now:
                continue
            language = rng.choices(langs, weights=lang_weights)[0]
            score = self.touchpoint_score(tp, rng.gauss(0, 0.9), (at.date() - sc.start_date).days / max(days, 1))
            self.answer(
                survey=self.tp_survey,
                tp=tp,
                customer=None,
                invitation=None,
                at=at,
                language=language,
                score=score,
                category=comment_category(tp.name),
            )

    def write(self) -> None:
        for inv in self.invitations:
            survey = inv.pop("_survey")
            if inv["used_at"] is not None:
                continue
            # Unanswered: the reminders went out as the beat task would have sent them.
            delay, end = dt.timedelta(days=survey.reminder_delay_days), min(self.now, inv["expires_at"])
            sent = 0
            while sent < survey.reminder_count and inv["sent_at"] + delay * (sent + 1) < end:
                sent += 1
            if sent:
                inv["reminders_sent"], inv["last_reminder_at"] = sent, inv["sent_at"] + delay * sent
        _insert_rows(Invitation, self.invitations)
        with _historical_timestamps(Response._meta.get_field("created_at")):
            Response.objects.bulk_create([r for r, _ in self.responses], batch_size=BATCH)
        answers = []
        for response, rows in self.responses:
            questions = self.questions[response.survey_id]
            submitted_on = timezone.localdate(response.submitted_at, self.tz)
            for code, value, text, choices in rows:
                question = questions[code]
                answers.append(
                    Answer(
                        organization=self.org,
                        response_id=response.pk,
                        customer_id=response.customer_id,
                        question=question,
                        touchpoint_id=response.touchpoint_id,
                        submitted_on=submitted_on,
                        metric=question.kind if question.kind in ("nps", "csat", "ces") else "",
                        value=value,
                        text=text,
                        choices=choices,
                    )
                )
        Answer.objects.bulk_create(answers, batch_size=BATCH)
        _insert_rows(ContactDecision, self.decisions)
        self.answer_count = len(answers)


def seed(sc: SeedContext) -> None:
    org = sc.organization
    touchpoints = [tp for tp in sc.extra["touchpoints"] if tp.is_active]
    published_at = dt.datetime.combine(sc.start_date - dt.timedelta(days=2), dt.time(9), ZoneInfo(org.timezone))
    tp_survey, rel_survey = _create_surveys(sc, touchpoints, published_at)

    rows = _Builder(sc, tp_survey, rel_survey)
    weights = [FREQUENCY.get(tp.name, 1.0) for tp in touchpoints]
    customers = sorted(sc.extra["customers"], key=lambda c: c.pk)
    for customer in customers:
        # Each history draws from its own generator: where it stops (now, which depends on the hour the demo is
        # seeded) changes no other customer's history, nor what the later steps draw from sc.rng.
        rows.rng = rng = random.Random(sc.rng.getrandbits(64))
        if customer.may_survey:
            rows.customer_history(customer, touchpoints, weights)
        else:
            # Events still arrive for customers who said no; the rules log each refusal.
            for _ in range(rng.randint(1, 3)):
                at = rows.local_time(sc.start_date + dt.timedelta(days=rng.randint(0, (sc.today - sc.start_date).days)))
                if at < rows.now:
                    rows.not_invited(
                        customer=customer,
                        tp=rng.choices(touchpoints, weights=weights)[0],
                        at=at,
                        reason=ContactDecision.Reason.NO_CONSENT,
                        message="The customer may not be surveyed.",
                    )
    open_points = [tp for tp in touchpoints if tp.channel in (Channel.WEB, Channel.APP, Channel.STORE)]
    invited_answers = len(rows.responses)
    rows.rng = random.Random(sc.rng.getrandbits(64))
    rows.anonymous(open_points or touchpoints, math.ceil(invited_answers * ANONYMOUS_SHARE))
    rows.write()

    sc.extra["touchpoint_survey"] = tp_survey
    sc.extra["relationship_survey"] = rel_survey
    sc.extra["survey_links"] = {link.touchpoint_id: link for link in SurveyLink.objects.filter(survey=tp_survey)}
    sc.log(
        f"  2 surveys, {len(rows.responses)} responses ({invited_answers} invited, "
        f"{len(rows.responses) - invited_answers} anonymous), {rows.answer_count} answers, "
        f"{len(rows.invitations)} invitations, {len(rows.decisions)} contact decisions"
    )

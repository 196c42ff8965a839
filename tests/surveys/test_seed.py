"""The demo surveys step: published surveys, links, and a year of responses that tell the intended story."""

import datetime as dt
import random

import pytest
from django.db.models import Count, Min
from django.utils import timezone

from demo.seed import SeedContext, base
from demo.seed import surveys as survey_step
from surveys.models import Answer, ContactDecision, Invitation, Response, Survey, SurveyLink

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def nps(values):
    values = list(values)
    return 100 * (sum(v >= 9 for v in values) - sum(v <= 6 for v in values)) / len(values)


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        from django.db import transaction

        with transaction.atomic():
            sc = SeedContext(rng=random.Random(7), customers=500, months=13, log=lambda *_: None)
            base.seed(sc)
            survey_step.seed(sc)
            yield sc
            transaction.set_rollback(True)


def test_touchpoint_survey_is_published_on_every_touchpoint_with_a_link(seeded):
    survey = seeded.extra["touchpoint_survey"]
    assert survey.status == Survey.Status.PUBLISHED and survey.current_version.published_at
    touchpoints = {tp.pk for tp in seeded.extra["touchpoints"]}
    assert set(survey.touchpoints.values_list("pk", flat=True)) == touchpoints
    assert set(SurveyLink.objects.filter(survey=survey, is_active=True).values_list("touchpoint_id", flat=True)) == (
        touchpoints
    )
    questions = survey.current_version.questions.all()
    assert {q.code: set(q.text) for q in questions} == {
        "nps": {"sv", "nb", "da", "en"},
        "why": {"sv", "nb", "da", "en"},
    }
    assert seeded.extra["relationship_survey"].kind == "relationship"


def test_responses_cover_more_than_a_year_and_fill_the_contract_fields(seeded):
    org = seeded.organization
    responses = Response.objects.for_org(org)
    first = responses.aggregate(first=Min("submitted_at"))["first"]
    assert timezone.now() - first > dt.timedelta(days=365)
    assert responses.filter(processed_at__isnull=True).count() == 0
    assert responses.count() > 1000
    sample = responses.select_related("survey").prefetch_related("answers")[:300]
    for r in sample:
        assert r.version_id == r.survey.current_version_id and r.language in {"sv", "nb", "da", "en"}
        assert r.source == "web" and r.channel in {"email", "web"}
        if r.touchpoint_id:
            assert r.journey_id is not None
        for a in r.answers.all():
            assert a.organization_id == org.pk and a.touchpoint_id == r.touchpoint_id
            assert a.submitted_on == timezone.localdate(r.submitted_at)
            if a.metric == "nps":
                assert 0 <= a.value <= 10
    used = Invitation.objects.for_org(org).filter(used_at__isnull=False)
    assert used.count() == responses.filter(invitation__isnull=False).count()


def test_the_story_technician_visit_and_billing_calls_are_worse(seeded):
    answers = Answer.objects.for_org(seeded.organization).filter(metric="nps", touchpoint__isnull=False)
    mot = seeded.extra["moment_of_truth"]
    mot_nps = nps(answers.filter(touchpoint=mot).values_list("value", flat=True))
    billing_nps = nps(answers.filter(touchpoint__name="Billing question by phone").values_list("value", flat=True))
    others = nps(
        answers.exclude(touchpoint=mot).exclude(touchpoint__name__icontains="billing").values_list("value", flat=True)
    )
    assert mot_nps < others - 20 and billing_nps < others - 20


def test_comments_in_every_language_match_the_score(seeded):
    comments = Answer.objects.for_org(seeded.organization).exclude(text="")
    by_lang = dict(comments.values_list("response__language").annotate(n=Count("id")))
    assert set(by_lang) == {"sv", "nb", "da", "en"}
    from demo.seed.surveys.texts import COMMENTS

    promoter_texts = {t for lang in COMMENTS.values() for cat in lang.values() for t in cat.get("promoter", [])}
    scores = dict(Answer.objects.for_org(seeded.organization).filter(metric="nps").values_list("response_id", "value"))
    for comment in comments[:400]:
        first_sentence = comment.text.split(". ")[0].rstrip(".") + "."
        if comment.text in promoter_texts or first_sentence in promoter_texts:
            assert scores[comment.response_id] >= 9


def test_invitations_and_decisions_exist(seeded):
    org = seeded.organization
    assert (
        Invitation.objects.for_org(org).count() > Response.objects.for_org(org).filter(customer__isnull=False).count()
    )
    reasons = set(ContactDecision.objects.for_org(org).values_list("reason", flat=True))
    assert {"eligible", "quarantine", "no_consent"} <= reasons
    invited = ContactDecision.objects.for_org(org).filter(reason="eligible").select_related("invitation").first()
    assert invited.invitation.customer_id == invited.customer_id
    # Rows written with explicit ids leave the sequence ready for the next invitation.
    from tests.surveys.factories import make_invitation

    customer = seeded.extra["customers"][0]
    fresh = make_invitation(seeded.extra["touchpoint_survey"], customer)
    assert fresh.pk > Invitation.objects.exclude(pk=fresh.pk).order_by("-pk").first().pk

"""response_submit: validation per question kind, denormalised answers, invitations, idempotency, follow-up work."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from surveys.ingestion.errors import AnswerValidationError, InvitationExpired, InvitationUsed, SubmissionMismatch
from surveys.ingestion.services import response_submit
from surveys.models import Answer, Invitation, Question, Response
from surveys.signals import response_processed
from tests.surveys.ingestion.factories import InvitationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def submit(prog, answers, **kwargs):
    survey = kwargs.pop("survey", prog.survey)
    return response_submit(
        organization=prog.org,
        survey=survey,
        version=kwargs.pop("version", survey.current_version),
        answers=answers,
        touchpoint=kwargs.pop("touchpoint", prog.touchpoint),
        language=kwargs.pop("language", "sv"),
        **kwargs,
    )


def test_a_valid_response_is_stored_with_denormalised_answers(prog_a):
    when = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC)  # 00:30 on 2 March in Stockholm
    response, created = submit(
        prog_a,
        {"nps": 9, "csat": "4", "ces": 2, "effort": 10, "plan": "tv", "extras": ["tv", "mobile", "tv"], "why": " ok "},
        customer=prog_a.customer,
        channel="web",
        submitted_at=when,
    )
    assert created
    assert response.journey_id == prog_a.journey.pk
    # Stored as pending work: the follow-up is enqueued on commit, which this test's transaction never reaches.
    assert response.processed_at is None
    assert Response.objects.get(pk=response.pk).processed_at is None
    answers = {a.question.code: a for a in Answer.objects.filter(response=response).select_related("question")}
    assert set(answers) == {"nps", "csat", "ces", "effort", "plan", "extras", "why"}
    assert (answers["nps"].metric, answers["nps"].value) == ("nps", 9.0)
    assert (answers["csat"].metric, answers["csat"].value) == ("csat", 4.0)
    assert (answers["effort"].metric, answers["effort"].value) == ("effort:1-10", 10.0)
    assert answers["plan"].choices == ["tv"] and answers["plan"].metric == ""
    assert answers["extras"].choices == ["tv", "mobile"]
    assert answers["why"].text == "ok"
    assert {a.touchpoint_id for a in answers.values()} == {prog_a.touchpoint.pk}
    assert {a.submitted_on for a in answers.values()} == {dt.date(2026, 3, 2)}
    assert {a.customer_id for a in answers.values()} == {prog_a.customer.pk}


def test_a_new_response_carries_its_stored_answers_without_a_query(prog_a, django_assert_num_queries):
    response, created = submit(prog_a, {"nps": 3, "why": "slow"}, customer=prog_a.customer)

    assert created

    def seen(answers):
        return {(a.pk, a.question.code, a.value, a.text, a.response_id, a.customer_id) for a in answers}

    with django_assert_num_queries(0):  # the API's 201 reply shows them as they are
        handed = seen(response.answers.all())
    stored = seen(Answer.objects.filter(response=response).select_related("question"))
    assert handed == stored and len(stored) == 2


@pytest.mark.parametrize(
    ("answers", "code"),
    [
        ({"nps": 11}, "nps"),
        ({"nps": -1}, "nps"),
        ({"nps": 7.5}, "nps"),
        ({"nps": True}, "nps"),
        ({"nps": "ten"}, "nps"),
        ({"nps": 5, "csat": 0}, "csat"),
        ({"nps": 5, "csat": 6}, "csat"),
        ({"nps": 5, "ces": 8}, "ces"),
        ({"nps": 5, "effort": 0}, "effort"),
        ({"nps": 5, "effort": 11}, "effort"),
        ({"nps": 5, "plan": "radio"}, "plan"),
        ({"nps": 5, "plan": ["tv"]}, "plan"),
        ({"nps": 5, "extras": ["tv", "radio"]}, "extras"),
        ({"nps": 5, "extras": {"tv": 1}}, "extras"),
        ({"nps": 5, "why": "x" * 5001}, "why"),
        ({"nps": 5, "why": 42}, "why"),
        ({"nps": 5, "why": "nul \x00 byte"}, "why"),
        ({"nps": 5, "unknown": 1}, "unknown"),
        ({"csat": 4}, "nps"),
        ({"nps": None}, "nps"),
    ],
)
def test_invalid_answers_are_refused_with_the_question_code(prog_a, answers, code):
    with pytest.raises(AnswerValidationError) as exc:
        submit(prog_a, answers)
    assert code in exc.value.errors
    assert not Response.objects.exists()


def test_ces_accepts_its_full_scale_and_rating_uses_its_own_scale(prog_a):
    response, _ = submit(prog_a, {"nps": 0, "ces": 7, "csat": 1, "effort": 1})
    assert sorted(response.answers.values_list("value", flat=True)) == [0.0, 1.0, 1.0, 7.0]


def test_a_required_follow_up_is_required_only_when_its_score_was_answered(prog_a):
    version = prog_a.survey.current_version
    Question.objects.filter(version=version, code="nps").update(required=False)
    Question.objects.filter(version=version, code="why").update(required=True)
    with pytest.raises(AnswerValidationError) as exc:
        submit(prog_a, {"nps": 3})
    assert "why" in exc.value.errors
    response, created = submit(prog_a, {"csat": 3})
    assert created and response.answers.count() == 1


def test_an_empty_submission_is_refused(prog_a):
    Question.objects.filter(version=prog_a.survey.current_version).update(required=False)
    with pytest.raises(AnswerValidationError) as exc:
        submit(prog_a, {"why": "  "})
    assert "__all__" in exc.value.errors


def test_a_version_of_another_survey_or_organization_is_refused(prog_a, prog_b):
    with pytest.raises(SubmissionMismatch):
        submit(prog_a, {"nps": 5}, version=prog_b.survey.current_version)
    with pytest.raises(SubmissionMismatch):
        submit(prog_a, {"nps": 5}, touchpoint=prog_b.touchpoint)
    with pytest.raises(SubmissionMismatch):
        submit(prog_a, {"nps": 5}, customer=prog_b.customer)
    assert not Response.objects.exists()


def test_the_same_idempotency_key_returns_the_first_response(prog_a):
    first, created = submit(prog_a, {"nps": 9}, idempotency_key="evt-1")
    again, created_again = submit(prog_a, {"nps": 2}, idempotency_key="evt-1")
    assert created and not created_again
    assert again.pk == first.pk
    assert Response.objects.count() == 1
    assert Answer.objects.get().value == 9.0


def test_the_same_key_in_another_organization_is_a_different_response(prog_a, prog_b):
    a, _ = submit(prog_a, {"nps": 9}, idempotency_key="evt-1")
    b, created = submit(prog_b, {"nps": 9}, idempotency_key="evt-1")
    assert created and a.pk != b.pk


def test_an_invitation_is_used_once_and_gives_its_customer_and_touchpoint(prog_a):
    invitation = InvitationFactory(survey=prog_a.survey, customer=prog_a.customer, touchpoint=prog_a.touchpoint)
    response, _ = submit(prog_a, {"nps": 10}, invitation=invitation, touchpoint=None, language="")
    assert response.customer_id == prog_a.customer.pk
    assert response.touchpoint_id == prog_a.touchpoint.pk
    invitation.refresh_from_db()
    assert invitation.used_at is not None
    with pytest.raises(InvitationUsed):
        submit(prog_a, {"nps": 1}, invitation=invitation)
    assert Response.objects.count() == 1


def test_an_expired_invitation_is_refused_and_stays_unused(prog_a):
    invitation = InvitationFactory(survey=prog_a.survey, expires_at=timezone.now() - dt.timedelta(minutes=1))
    with pytest.raises(InvitationExpired):
        submit(prog_a, {"nps": 10}, invitation=invitation)
    assert Invitation.objects.get(pk=invitation.pk).used_at is None


def test_a_refused_answer_does_not_use_the_invitation(prog_a):
    invitation = InvitationFactory(survey=prog_a.survey)
    with pytest.raises(AnswerValidationError):
        submit(prog_a, {"nps": 99}, invitation=invitation)
    assert Invitation.objects.get(pk=invitation.pk).used_at is None


def test_a_retried_invitation_submission_with_its_key_returns_the_response(prog_a):
    invitation = InvitationFactory(survey=prog_a.survey)
    first, _ = submit(prog_a, {"nps": 10}, invitation=invitation, idempotency_key="form-123")
    again, created = submit(prog_a, {"nps": 10}, invitation=invitation, idempotency_key="form-123")
    assert (again.pk, created) == (first.pk, False)


def test_follow_up_runs_after_commit_and_marks_the_response_processed(prog_a, django_capture_on_commit_callbacks):
    seen = []

    def receiver(sender, response, **kwargs):
        seen.append(response.pk)

    response_processed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            response, _ = submit(prog_a, {"nps": 9})
        assert len(callbacks) == 1
        assert seen == []
        callbacks[0]()
        callbacks[0]()  # a second delivery does nothing
    finally:
        response_processed.disconnect(receiver)
    assert seen == [response.pk]
    response.refresh_from_db()
    assert response.processed_at is not None


def test_a_failing_receiver_leaves_the_response_for_the_sweep_and_the_submission_succeeds(
    prog_a, django_capture_on_commit_callbacks
):
    def broken(sender, response, **kwargs):
        raise RuntimeError("receiver bug")

    response_processed.connect(broken)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response, created = submit(prog_a, {"nps": 9})
    finally:
        response_processed.disconnect(broken)
    assert created
    assert Response.objects.get(pk=response.pk).processed_at is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has one writer at a time: no race to lose")
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_submissions_with_the_same_key_store_one_response(prog_a):
    # The first request inserts and then holds its transaction open; the second cannot see the uncommitted row,
    # blocks on the unique index, and must come back with the first response once that commits.
    inserted = threading.Event()
    results, errors = {}, []

    def worker(name):
        try:
            if name == "first":
                with transaction.atomic():
                    results[name] = submit(prog_a, {"nps": 9}, idempotency_key="race-1")
                    inserted.set()
                    time.sleep(0.5)
            else:
                started = time.monotonic()
                results[name] = submit(prog_a, {"nps": 9}, idempotency_key="race-1")
                results["waited"] = time.monotonic() - started
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    first = threading.Thread(target=worker, args=("first",), name="first")
    second = threading.Thread(target=worker, args=("second",), name="second")
    first.start()
    assert inserted.wait(10)
    second.start()
    first.join(30)
    second.join(30)
    assert results["waited"] > 0.2  # it really waited for the first transaction
    assert errors == []
    assert Response.objects.filter(idempotency_key="race-1").count() == 1
    assert results["first"][1] is True
    assert results["second"][1] is False
    assert results["second"][0].pk == results["first"][0].pk

"""The survey builder: roles, questions and translations, presets, preview, publish and versioning."""

import pytest
from django.urls import reverse

from accounts.models import Role
from surveys.builder import services
from surveys.models import Answer, Question, Response, Survey, SurveyVersion
from tests.surveys.factories import LANGS, make_survey

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

HTMX = {"HTTP_HX_REQUEST": "true"}


def survey_payload(tp, **overrides):
    data = {
        "name": "Technician visit NPS",
        "kind": "touchpoint",
        "touchpoints": [tp.pk],
        "journey": "",
        "languages": ["sv", "nb", "da", "en"],
        "default_language": "sv",
        "reminder_count": "2",
        "reminder_delay_days": "4",
        "invitation_expiry_days": "10",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("role", [Role.ADMIN, Role.CX_MANAGER])
def test_admins_and_cx_managers_create_a_survey_with_settings(client_for, cast_a, tp_a, role):
    c = client_for(cast_a.member(role))
    response = c.post(reverse("surveys:survey_create"), survey_payload(tp_a))
    survey = Survey.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("surveys:survey_detail", args=[survey.pk])
    assert survey.organization == cast_a.org and list(survey.touchpoints.all()) == [tp_a]
    assert (survey.languages, survey.default_language) == (["sv", "nb", "da", "en"], "sv")
    assert (survey.reminder_count, survey.reminder_delay_days, survey.invitation_expiry_days) == (2, 4, 10)
    assert survey.status == "draft" and survey.versions.get().number == 1


@pytest.mark.parametrize("role", [Role.FRONTLINE, Role.EXECUTIVE])
def test_frontline_and_executives_read_but_cannot_change_surveys(client_for, cast_a, survey_a, tp_a, role):
    c = client_for(cast_a.member(role))
    assert c.get(reverse("surveys:survey_list")).status_code == 200
    detail = c.get(reverse("surveys:survey_detail", args=[survey_a.pk]))
    assert detail.status_code == 200
    assert 'data-testid="publish"' not in detail.content.decode()
    assert 'data-testid="add-question"' not in detail.content.decode()
    assert c.get(reverse("surveys:survey_preview", args=[survey_a.pk]), {"lang": "nb"}).status_code == 200
    pk = survey_a.pk
    forbidden = [
        c.post(reverse("surveys:survey_create"), survey_payload(tp_a)),
        c.post(reverse("surveys:survey_edit", args=[pk]), survey_payload(tp_a, name="Hacked")),
        c.post(reverse("surveys:question_add", args=[pk]), {"kind": "text"}),
        c.post(reverse("surveys:question_preset", args=[pk, "csat_why"])),
        c.post(reverse("surveys:question_edit", args=[pk, "nps"]), {"code": "nps", "text_en": "Hacked"}),
        c.post(reverse("surveys:question_delete", args=[pk, "why"])),
        c.post(reverse("surveys:question_move", args=[pk, "nps", "down"])),
        c.post(reverse("surveys:survey_publish", args=[pk])),
        c.post(reverse("surveys:survey_archive", args=[pk])),
    ]
    assert {r.status_code for r in forbidden} == {403}
    assert Survey.objects.count() == 1 and SurveyVersion.objects.count() == 1
    survey_a.refresh_from_db()
    assert survey_a.name == "Touchpoint NPS" and survey_a.status == "published"


def test_survey_list_shows_surveys_with_few_queries(client_for, cast_a, tp_a, django_assert_max_num_queries):
    for i in range(6):
        make_survey(cast_a.org, touchpoints=[tp_a], name=f"Survey {i}")
    c = client_for(cast_a.cx_manager)
    with django_assert_max_num_queries(12):
        page = c.get(reverse("surveys:survey_list"))
    assert page.content.decode().count('data-testid="survey-row"') == 6


def test_quick_add_nps_and_why_fills_all_four_languages(client_for, cast_a, tp_a):
    survey = make_survey(cast_a.org, touchpoints=[tp_a], preset=None, publish=False)
    c = client_for(cast_a.cx_manager)
    fragment = c.post(reverse("surveys:question_preset", args=[survey.pk, "nps_why"]), **HTMX).content.decode()
    nps, why = Question.objects.order_by("position")
    assert (nps.kind, nps.code, why.kind, why.code, why.follow_up_for) == ("nps", "nps", "text", "why", nps)
    assert set(nps.text) == set(LANGS) == set(why.text)
    assert "Alpha Telecom" in nps.text["nb"] and nps.text["nb"].startswith("Hvor sannsynlig")
    assert fragment.startswith('<div id="builder"')
    for lang in LANGS:
        assert f'data-testid="badge-{lang}">{lang} <i class="bi bi-check-lg"' in fragment
    csat = c.post(reverse("surveys:question_preset", args=[survey.pk, "csat_why"]), **HTMX)
    assert csat.status_code == 200
    assert set(Question.objects.values_list("code", flat=True)) == {"nps", "why", "csat", "csat_why"}


def test_missing_translations_are_shown_per_language(client_for, cast_a, tp_a):
    survey = make_survey(cast_a.org, touchpoints=[tp_a], publish=False)
    services.question_add(survey=survey, kind="single_choice", code="channel", text={"en": "Which channel?"})
    c = client_for(cast_a.cx_manager)
    page = c.get(reverse("surveys:survey_detail", args=[survey.pk])).content.decode()
    assert 'data-testid="badge-en">en <i class="bi bi-check-lg"' in page
    for lang in ["sv", "nb", "da"]:
        assert f'data-testid="badge-{lang}">{lang} · 1 missing' in page
        assert f'data-testid="missing-channel-{lang}"' in page
    assert "<li><strong>nb</strong>: channel</li>" in page


def test_editing_a_question_inline_saves_texts_options_and_scale(client_for, cast_a, tp_a):
    survey = make_survey(cast_a.org, touchpoints=[tp_a], publish=False, languages=["sv", "en"], default_language="en")
    c = client_for(cast_a.cx_manager)
    c.post(reverse("surveys:question_add", args=[survey.pk]), {"kind": "multi_choice"}, **HTMX)
    q = Question.objects.get(kind="multi_choice")
    form = c.get(reverse("surveys:survey_detail", args=[survey.pk]), {"edit": q.code}, **HTMX).content.decode()
    assert 'data-testid="question-form"' in form and 'name="options_sv"' in form
    saved = c.post(
        reverse("surveys:question_edit", args=[survey.pk, q.code]),
        {
            "code": "topics",
            "text_en": "What mattered most?",
            "text_sv": "Vad var viktigast?",
            "options_en": "Price\nSpeed\nStaff",
            "options_sv": "Pris\nHastighet",
            "required": "on",
        },
        **HTMX,
    )
    assert saved.status_code == 200
    q.refresh_from_db()
    assert q.code == "topics" and q.required and q.text == {"en": "What mattered most?", "sv": "Vad var viktigast?"}
    assert [o["code"] for o in q.options] == ["price", "speed", "staff"]
    assert q.options[2]["text"] == {"en": "Staff"}
    assert 'data-testid="missing-topics-sv"' in saved.content.decode()

    c.post(reverse("surveys:question_add", args=[survey.pk]), {"kind": "rating"})
    rating = Question.objects.get(kind="rating")
    bad = c.post(
        reverse("surveys:question_edit", args=[survey.pk, rating.code]),
        {"code": rating.code, "text_en": "Rate", "scale_min": "5", "scale_max": "1"},
        **HTMX,
    )
    assert "Choose a scale within 0-10" in bad.content.decode()
    c.post(
        reverse("surveys:question_edit", args=[survey.pk, rating.code]),
        {"code": rating.code, "text_en": "Rate", "scale_min": "1", "scale_max": "10"},
    )
    rating.refresh_from_db()
    assert rating.scale == (1, 10)


def test_follow_up_must_point_at_a_score_question(client_for, cast_a, tp_a):
    survey = make_survey(cast_a.org, touchpoints=[tp_a], preset="nps_why", publish=False, languages=["en"])
    services.question_add(survey=survey, kind="text", code="other", text={"en": "Anything else?"})
    c = client_for(cast_a.cx_manager)
    c.post(
        reverse("surveys:question_edit", args=[survey.pk, "other"]),
        {"code": "other", "text_en": "Anything else?", "follow_up_for": "why"},
    )
    assert Question.objects.get(code="other").follow_up_for is None
    c.post(
        reverse("surveys:question_edit", args=[survey.pk, "other"]),
        {"code": "other", "text_en": "Anything else?", "follow_up_for": "nps"},
    )
    assert Question.objects.get(code="other").follow_up_for.code == "nps"


def test_questions_move_with_their_follow_ups(client_for, cast_a, tp_a):
    survey = make_survey(cast_a.org, touchpoints=[tp_a], preset="nps_why", publish=False)
    services.questions_add_preset(survey=survey, preset="csat_why")
    c = client_for(cast_a.cx_manager)
    c.post(reverse("surveys:question_move", args=[survey.pk, "csat", "up"]), **HTMX)
    from surveys.builder.selectors import version_questions

    order = [q.code for q in version_questions(version=survey.versions.get())]
    assert order == ["csat", "csat_why", "nps", "why"]
    c.post(reverse("surveys:question_delete", args=[survey.pk, "csat"]))
    assert set(Question.objects.values_list("code", flat=True)) == {"nps", "why"}


def test_preview_renders_any_language_and_saves_nothing(client_for, cast_a, tp_a):
    survey = make_survey(cast_a.org, touchpoints=[tp_a], publish=False)
    c = client_for(cast_a.executive)
    url = reverse("surveys:survey_preview", args=[survey.pk])
    page = c.get(url, {"lang": "da"}).content.decode()
    assert 'data-testid="preview-banner"' in page and "Hvor sandsynligt er det" in page
    posted = c.post(f"{url}?lang=sv", {"q_nps": "10", "q_why": "Bra"})
    assert 'data-testid="preview-ok"' in posted.content.decode()
    invalid = c.post(f"{url}?lang=sv", {"q_nps": "12"}).content.decode()
    assert "Välj ett värde från 0 till 10." in invalid
    assert not Response.objects.exists()


def test_publish_freezes_the_version_and_refuses_an_empty_survey(client_for, cast_a, tp_a):
    c = client_for(cast_a.cx_manager)
    empty = make_survey(cast_a.org, touchpoints=[tp_a], preset=None, publish=False)
    page = c.post(reverse("surveys:survey_publish", args=[empty.pk]), follow=True).content.decode()
    assert "Add at least one question." in page
    empty.refresh_from_db()
    assert empty.current_version is None and empty.status == "draft"

    survey = make_survey(cast_a.org, touchpoints=[tp_a], publish=False, name="Ready")
    c.post(reverse("surveys:survey_publish", args=[survey.pk]))
    survey.refresh_from_db()
    v1 = survey.versions.get()
    assert survey.current_version == v1 and v1.published_at is not None and survey.status == "published"
    assert survey.links.filter(touchpoint=tp_a, is_active=True).count() == 1


def test_editing_after_publish_makes_a_new_draft_and_old_answers_keep_their_questions(client_for, cast_a, tp_a):
    survey = make_survey(cast_a.org, touchpoints=[tp_a])
    v1 = survey.current_version
    v1_nps = v1.questions.get(code="nps")
    c = client_for(cast_a.cx_manager)
    from tests.surveys.factories import link_for

    c.post(reverse("public:link", args=[link_for(survey, tp_a).token]), {"q_nps": "4", "q_why": "Slow"})
    old_answer = Answer.objects.get(question__code="nps")

    c.post(
        reverse("surveys:question_edit", args=[survey.pk, "nps"]),
        {"code": "nps", **{f"text_{lang}": f"New NPS text {lang}" for lang in LANGS}, "required": "on"},
    )
    survey.refresh_from_db()
    v2 = survey.versions.get(number=2)
    assert survey.current_version == v1 and v2.published_at is None
    assert list(v2.questions.values_list("code", flat=True).order_by("position", "pk")) == ["nps", "why"]
    assert v2.questions.get(code="why").follow_up_for == v2.questions.get(code="nps")
    v1_nps.refresh_from_db()
    assert v1_nps.text["en"].startswith("How likely")
    live = c.get(reverse("public:link", args=[link_for(survey, tp_a).token]), {"lang": "en"}).content.decode()
    assert "How likely" in live and "New NPS text" not in live
    detail = c.get(reverse("surveys:survey_detail", args=[survey.pk])).content.decode()
    assert "Respondents see v1" in detail

    # Locked codes: published questions keep their code.
    c.post(reverse("surveys:question_edit", args=[survey.pk, "nps"]), {"code": "renamed", "text_en": "x"})
    assert v2.questions.filter(code="nps").exists()

    c.post(reverse("surveys:survey_publish", args=[survey.pk]))
    survey.refresh_from_db()
    assert survey.current_version == v2
    c.post(reverse("public:link", args=[link_for(survey, tp_a).token]), {"q_nps": "9"})
    new_answer = Answer.objects.exclude(pk=old_answer.pk).get(question__code="nps")
    old_answer.refresh_from_db()
    assert old_answer.question == v1_nps and old_answer.response.version == v1
    assert new_answer.question.version == v2 and new_answer.response.version == v2


def test_discarding_a_draft_returns_to_the_live_version(client_for, cast_a, tp_a):
    survey = make_survey(cast_a.org, touchpoints=[tp_a])
    services.question_delete(survey=survey, code="why")
    c = client_for(cast_a.cx_manager)
    c.post(reverse("surveys:survey_discard_draft", args=[survey.pk]))
    assert survey.versions.count() == 1
    assert set(survey.current_version.questions.values_list("code", flat=True)) == {"nps", "why"}


def test_form_only_accepts_the_organizations_touchpoints(client_for, cast_a, tp_a, tp_b):
    c = client_for(cast_a.cx_manager)
    response = c.post(reverse("surveys:survey_create"), survey_payload(tp_a, touchpoints=[tp_a.pk, tp_b.pk]))
    assert response.status_code == 200
    assert not Survey.objects.exists()


def test_another_organizations_survey_is_404_everywhere_and_unchanged(client_for, cast_a, survey_b, tp_b):
    c = client_for(cast_a.admin)
    pk = survey_b.pk
    gets = [
        reverse("surveys:survey_detail", args=[pk]),
        reverse("surveys:survey_edit", args=[pk]),
        reverse("surveys:survey_preview", args=[pk]),
        reverse("surveys:survey_links", args=[pk]),
        reverse("surveys:invitation_list", args=[pk]),
    ]
    assert {c.get(url).status_code for url in gets} == {404}
    posts = [
        (reverse("surveys:survey_edit", args=[pk]), survey_payload(tp_b, name="Hacked")),
        (reverse("surveys:question_add", args=[pk]), {"kind": "text"}),
        (reverse("surveys:question_preset", args=[pk, "csat_why"]), {}),
        (reverse("surveys:question_edit", args=[pk, "nps"]), {"code": "nps", "text_en": "Hacked"}),
        (reverse("surveys:question_delete", args=[pk, "why"]), {}),
        (reverse("surveys:question_move", args=[pk, "why", "up"]), {}),
        (reverse("surveys:survey_publish", args=[pk]), {}),
        (reverse("surveys:survey_discard_draft", args=[pk]), {}),
        (reverse("surveys:survey_archive", args=[pk]), {}),
    ]
    assert {c.post(url, data).status_code for url, data in posts} == {404}
    survey_b.refresh_from_db()
    assert survey_b.name == "Beta survey" and survey_b.status == "published" and survey_b.versions.count() == 1
    assert "Beta survey" not in c.get(reverse("surveys:survey_list")).content.decode()


def test_option_codes_survive_reordering_and_translation_fixes():
    existing = [
        {"code": "price", "text": {"en": "Price", "sv": "Pris"}},
        {"code": "speed", "text": {"en": "Speed", "sv": "Hastgihet"}},
    ]
    options = services.options_from_lines(
        existing=existing,
        lines={"en": ["Speed", "Price", "Staff"], "sv": ["Hastighet", "Pris", "Personal"]},
        fallback="en",
    )
    assert [(o["code"], o["text"]["sv"]) for o in options] == [
        ("speed", "Hastighet"),
        ("price", "Pris"),
        ("staff", "Personal"),
    ]
    renamed = services.options_from_lines(existing=existing, lines={"en": ["Cost", "Speed"]}, fallback="en")
    assert [o["code"] for o in renamed] == ["price", "speed"]

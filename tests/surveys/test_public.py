"""The public survey page: languages, submitting, validation, honeypot, rate limit, single-use invitations."""

import datetime as dt
import logging
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from surveys.models import Answer, Invitation, Response
from tests.factories import CustomerFactory
from tests.surveys.factories import link_for, make_invitation, make_survey

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

NB_NPS = "Hvor sannsynlig er det at du vil anbefale"
SV_NPS = "Hur troligt är det att du skulle rekommendera"
DA_NPS = "Hvor sandsynligt er det, at du vil anbefale"
EN_NPS = "How likely is it that you would recommend"


def link_url(survey, tp):
    return reverse("public:link", args=[link_for(survey, tp).token])


@pytest.mark.parametrize(
    ("lang", "text", "submit"),
    [("sv", SV_NPS, "Skicka"), ("nb", NB_NPS, "Send"), ("da", DA_NPS, "Send"), ("en", EN_NPS, "Send")],
)
def test_link_page_speaks_the_language_asked_for(client, survey_a, tp_a, lang, text, submit):
    page = client.get(link_url(survey_a, tp_a), {"lang": lang})
    html = page.content.decode()
    assert page.status_code == 200
    assert f'<html lang="{lang}">' in html
    assert text in html
    assert f">{submit}</button>" in html
    assert page["Content-Language"] == lang


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("nb-NO,nb;q=0.9,en;q=0.5", "nb"),
        ("no", "nb"),
        ("nn-NO", "nb"),
        ("da-DK,da;q=0.8", "da"),
        ("sv-SE", "sv"),
        ("fr-FR,de;q=0.8", "sv"),
    ],
)
def test_browser_language_is_used_and_norwegian_variants_map_to_bokmal(
    client, cast_a, survey_a, tp_a, header, expected
):
    cast_a.org.default_language = "sv"
    cast_a.org.save()
    page = client.get(link_url(survey_a, tp_a), HTTP_ACCEPT_LANGUAGE=header)
    assert page["Content-Language"] == expected


def test_survey_fallback_language_when_org_default_is_not_offered(client, cast_a, tp_a):
    survey = make_survey(cast_a.org, touchpoints=[tp_a], languages=["da", "en"], default_language="da")
    cast_a.org.default_language = "sv"
    cast_a.org.save()
    page = client.get(link_url(survey, tp_a), HTTP_ACCEPT_LANGUAGE="fr")
    assert page["Content-Language"] == "da"
    assert DA_NPS in page.content.decode()


def test_missing_translation_falls_back_to_the_fallback_language(client, cast_a, tp_a):
    survey = make_survey(cast_a.org, touchpoints=[tp_a], languages=["en", "nb"], preset=None, publish=False)
    from surveys.builder import services

    services.question_add(survey=survey, kind="csat", code="csat", text={"en": "Happy with the visit?"})
    services.survey_publish(survey=survey)
    html = client.get(link_url(survey, tp_a), {"lang": "nb"}).content.decode()
    assert "Happy with the visit?" in html
    assert "Svært fornøyd" in html  # the scale's own words are Norwegian


def test_language_switcher_links_every_survey_language(client, survey_a, tp_a):
    html = client.get(link_url(survey_a, tp_a), {"lang": "sv"}).content.decode()
    for code in ["sv", "nb", "da", "en"]:
        assert f'data-testid="lang-{code}"' in html
    assert 'aria-current="true" data-testid="lang-sv"' in html


def test_invitation_language_beats_the_browser(client, survey_a, tp_a, customer_a):
    invitation = make_invitation(survey_a, customer_a, touchpoint=tp_a, language="nb")
    page = client.get(reverse("public:invitation", args=[invitation.token]), HTTP_ACCEPT_LANGUAGE="sv-SE")
    assert page["Content-Language"] == "nb"
    assert NB_NPS in page.content.decode()


def test_page_is_accessible_and_makes_no_third_party_requests(client, survey_a, tp_a):
    html = client.get(link_url(survey_a, tp_a), {"lang": "en"}).content.decode()
    assert "<fieldset" in html and "<legend>" in html
    assert html.count('type="radio"') == 11
    assert '<label for="q-nps-0">0<span class="sv-vh">: Not at all likely</span></label>' in html
    assert 'data-follow-up-for="nps"' in html
    assert '<label class="sv-label" for="q-why-input">' in html
    urls = re.findall(r'(?:src|href|action)="([^"]*)"', html)
    assert urls and all(u.startswith(("/", "?", "#")) for u in urls), urls
    assert "<script>" not in html and " onclick=" not in html


def test_submitting_stores_a_response_and_thanks_in_the_same_language(client, survey_a, tp_a):
    url = link_url(survey_a, tp_a)
    response = client.post(f"{url}?lang=da", {"q_nps": "9", "q_why": "Hurtig og venlig tekniker"})
    assert response.status_code == 302
    stored = Response.objects.get()
    assert (stored.touchpoint, stored.language, stored.source, stored.customer) == (tp_a, "da", "web", None)
    assert stored.version == survey_a.current_version
    answers = {a.question.code: a for a in Answer.objects.filter(response=stored)}
    assert answers["nps"].value == 9 and answers["nps"].metric == "nps" and answers["nps"].touchpoint == tp_a
    assert answers["why"].text == "Hurtig og venlig tekniker"
    thanks = client.get(response["Location"])
    assert "Tak for dit svar!" in thanks.content.decode()


def test_validation_errors_are_shown_next_to_the_question_and_typed_text_is_kept(client, survey_a, tp_a):
    url = link_url(survey_a, tp_a)
    page = client.post(f"{url}?lang=nb", {"q_nps": "eleven", "q_why": "Teknikeren kom <for sent> & gikk"})
    html = page.content.decode()
    assert page.status_code == 400
    assert not Response.objects.exists()
    assert 'id="q-nps-error"' in html and "Velg en verdi fra 0 til 10." in html
    assert "Teknikeren kom &lt;for sent&gt; &amp; gikk</textarea>" in html


def test_required_score_missing_is_an_error_and_a_picked_score_stays_checked(client, survey_a, tp_a):
    url = link_url(survey_a, tp_a)
    page = client.post(url + "?lang=en", {"q_why": "just text"})
    assert page.status_code == 400
    assert "Please answer this question." in page.content.decode()
    survey_a_text = client.post(url + "?lang=en", {"q_nps": "7", "q_why": "x" * 6000}).content.decode()
    assert 'id="q-nps-7" value="7" checked' in survey_a_text
    assert "Please keep your answer under 5000 characters" in survey_a_text


def test_honeypot_looks_accepted_but_stores_nothing_and_logs(client, survey_a, tp_a, customer_a, caplog):
    invitation = make_invitation(survey_a, customer_a, touchpoint=tp_a)
    with caplog.at_level(logging.WARNING, logger="surveys.public"):
        response = client.post(
            reverse("public:invitation", args=[invitation.token]), {"q_nps": "10", "homepage": "http://spam.example"}
        )
    assert response.status_code == 302 and "/thanks/" in response["Location"]
    assert not Response.objects.exists()
    invitation.refresh_from_db()
    assert invitation.used_at is None
    assert "honeypot" in caplog.text and "nothing stored" in caplog.text


def test_more_than_thirty_submissions_a_minute_from_one_ip_get_a_429(client, survey_a, tp_a):
    url = link_url(survey_a, tp_a) + "?lang=sv"
    codes = [client.post(url, {"q_nps": "8"}).status_code for _ in range(30)]
    assert set(codes) == {302}
    blocked = client.post(url, {"q_nps": "8"})
    assert blocked.status_code == 429
    assert blocked["Retry-After"] == "60"
    assert "För många svar" in blocked.content.decode()
    assert Response.objects.count() == 30
    other_ip = client.post(url, {"q_nps": "8"}, REMOTE_ADDR="10.1.2.3")
    assert other_ip.status_code == 302


def test_invitation_is_single_use(client, survey_a, tp_a, customer_a):
    invitation = make_invitation(survey_a, customer_a, touchpoint=tp_a, language="sv")
    url = reverse("public:invitation", args=[invitation.token])
    assert client.post(url, {"q_nps": "3", "q_why": "Sen"}).status_code == 302
    again = client.post(url, {"q_nps": "10", "submission": "another-key-0123456789"})
    assert again.status_code == 409
    assert "Du har redan svarat" in again.content.decode()
    assert client.get(url).status_code == 200
    assert "Du har redan svarat" in client.get(url).content.decode()
    stored = Response.objects.get()
    assert stored.customer == customer_a and stored.invitation == invitation and stored.channel == "email"
    assert Answer.objects.get(response=stored, question__code="nps").value == 3


def test_expired_invitation_says_so(client, survey_a, tp_a, customer_a):
    invitation = make_invitation(survey_a, customer_a, touchpoint=tp_a, language="en", days=14)
    url = reverse("public:invitation", args=[invitation.token])
    with time_machine.travel(timezone.now() + dt.timedelta(days=15)):
        page = client.get(url)
        posted = client.post(url, {"q_nps": "9"})
    assert page.status_code == 410 and "This link has expired" in page.content.decode()
    assert posted.status_code == 410
    assert not Response.objects.exists()


def test_withdrawn_invitation_cannot_be_answered(client, survey_a, tp_a, customer_a):
    invitation = make_invitation(survey_a, customer_a, touchpoint=tp_a, language="en")
    Invitation.objects.filter(pk=invitation.pk).update(withdrawn_at=timezone.now(), expires_at=timezone.now())
    assert client.post(reverse("public:invitation", args=[invitation.token]), {"q_nps": "9"}).status_code == 410
    assert not Response.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"q_nps": "abc"},
        {"q_nps": "99"},
        {"q_nps": "-1"},
        {"q_nps": "5.5"},
        {"q_nps": ["3", "4"]},
        {"q_nps": "1e3"},
        {"q_nps": "٣"},
        {"q_nps": "7", "q_why": "x" * 5001},
        {"q_nps": "", "q_why": ""},
    ],
)
def test_junk_values_get_a_clear_400(client, survey_a, tp_a, data):
    response = client.post(link_url(survey_a, tp_a), data)
    assert response.status_code == 400
    assert 'data-testid="form-error"' in response.content.decode()
    assert not Response.objects.exists()


def test_unknown_question_codes_and_nul_bytes_are_ignored_safely(client, survey_a, tp_a):
    response = client.post(link_url(survey_a, tp_a), {"q_nps": "6", "q_why": "bad\x00 text", "q_bogus": "1", "x": "y"})
    assert response.status_code == 302
    answers = {a.question.code: a for a in Answer.objects.all()}
    assert set(answers) == {"nps", "why"}
    assert answers["why"].text == "bad text"


def test_oversized_body_is_refused_with_413(client, survey_a, tp_a):
    response = client.post(link_url(survey_a, tp_a), {"q_nps": "6", "q_why": "x" * 70_000})
    assert response.status_code == 413
    assert not Response.objects.exists()


def test_choice_questions_validate_options_and_keep_checked_values(client, cast_a, tp_a):
    from surveys.builder import services

    survey = make_survey(cast_a.org, touchpoints=[tp_a], preset=None, publish=False, languages=["en"])
    options = [{"code": c, "text": {"en": c.title()}} for c in ("price", "speed", "staff")]
    services.question_add(
        survey=survey, kind="multi_choice", code="topics", text={"en": "What mattered?"}, options=options
    )
    services.question_add(survey=survey, kind="single_choice", code="channel", text={"en": "How?"}, options=options)
    services.survey_publish(survey=survey)
    url = link_url(survey, tp_a)
    bad = client.post(url, {"q_topics": ["price", "staff"], "q_channel": "nope"})
    html = bad.content.decode()
    assert bad.status_code == 400
    assert 'value="price" checked' in html and 'value="staff" checked' in html and 'value="speed">' in html
    ok = client.post(url, {"q_topics": ["price", "staff", "price"], "q_channel": "speed"})
    assert ok.status_code == 302
    answers = {a.question.code: a for a in Answer.objects.all()}
    assert answers["topics"].choices == ["price", "staff"] and answers["channel"].choices == ["speed"]


@pytest.mark.parametrize("token", ["nope", "x" * 65, "../../etc"])
def test_unknown_tokens_are_404(client, token):
    assert client.get(f"/s/t/{token}/").status_code == 404
    assert client.post(f"/s/i/{token}/", {"q_nps": "1"}).status_code == 404


def test_revoked_link_inactive_touchpoint_and_closed_survey_stop_answers(client, survey_a, tp_a):
    from surveys.builder.services import survey_archive
    from surveys.distribution.services import survey_link_revoke

    link = link_for(survey_a, tp_a)
    url = reverse("public:link", args=[link.token])
    tp_a.is_active = False
    tp_a.save()
    assert client.post(url, {"q_nps": "5"}).status_code == 410
    tp_a.is_active = True
    tp_a.save()
    survey_archive(survey=survey_a)
    assert client.get(url).status_code == 410
    survey_a.status = "published"
    survey_a.save()
    assert client.get(url).status_code == 200
    survey_link_revoke(link=link)
    assert client.post(url, {"q_nps": "5"}).status_code == 410
    assert not Response.objects.exists()


def test_double_submit_with_the_same_form_key_stores_one_response(client, survey_a, tp_a):
    url = link_url(survey_a, tp_a)
    data = {"q_nps": "8", "submission": "abcdefghijklmnop1234"}
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302
    assert Response.objects.count() == 1


def test_invitation_of_another_organizations_survey_token_only_reaches_its_own_survey(
    client, survey_a, survey_b, tp_b, cast_b
):
    customer_b = CustomerFactory(organization=cast_b.org)
    invitation = make_invitation(survey_b, customer_b, touchpoint=tp_b, language="en")
    client.post(reverse("public:invitation", args=[invitation.token]), {"q_nps": "4"})
    stored = Response.objects.get()
    assert stored.organization == cast_b.org and stored.survey == survey_b


def test_intake_goes_on_when_the_rate_limit_cache_is_down(client, survey_a, tp_a, caplog):
    """Regression (issue 12, defect 2): with Redis down the limiter raised and the public form answered 500.
    The cache points at a port where nothing listens: the submission is stored and the outage logged."""
    from django.core.cache import caches
    from django.test import override_settings

    from core import ratelimit

    dead_redis = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    url = link_url(survey_a, tp_a) + "?lang=sv"
    # (overriding CACHES resets Django's cache handler; the limiter keeps its own Redis client, reset here)
    ratelimit._client, ratelimit._warned_at = None, 0.0
    try:
        with override_settings(CACHES=dead_redis), caplog.at_level(logging.WARNING, logger="core.ratelimit"):
            assert type(caches["default"]).__name__ == "RedisCache"
            codes = [client.post(url, {"q_nps": "8"}).status_code for _ in range(3)]
    finally:
        ratelimit._client = None
    assert codes == [302, 302, 302]
    assert Response.objects.count() == 3
    assert "rate limit not applied" in caplog.text


def test_behind_one_trusted_proxy_each_respondent_has_their_own_allowance(client, survey_a, tp_a, settings):
    """Regression (issue 12, defect 1): behind the TLS proxy with SURVEYS_NUM_PROXIES=0 every respondent shared the
    proxy's bucket (45 submissions from distinct clients gave 15 x 429). The production example sets 1."""
    url = link_url(survey_a, tp_a) + "?lang=sv"
    proxy = {"REMOTE_ADDR": "172.18.0.5"}

    def from_client(i: int, forged: str = "") -> int:
        chain = f"{forged}, 198.51.100.{i}" if forged else f"198.51.100.{i}"
        return client.post(url, {"q_nps": "8"}, HTTP_X_FORWARDED_FOR=chain, **proxy).status_code

    settings.SURVEYS_NUM_PROXIES = 1
    assert {from_client(i) for i in range(45)} == {302}
    # A client cannot escape its bucket by forging addresses to the left of the one the proxy appended.
    assert [from_client(7, forged=f"203.0.113.{j}") for j in range(30)].count(429) == 1

    settings.SURVEYS_NUM_PROXIES = 0  # the old default behind a proxy: one shared bucket
    from django.core.cache import cache

    cache.clear()
    codes = [from_client(i) for i in range(45)]
    assert codes.count(429) == 15

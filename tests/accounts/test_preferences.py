"""The user's language is a profile setting, defaulting to the browser's: saved > browser > the site's default;
the menu's language switch saves it too; roles are shown in words."""

from __future__ import annotations

import os
import uuid

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.models import Role, UserPreference

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _site_language_afterwards():
    """Requests leave their language active in the thread (LocaleMiddleware never deactivates): later tests in this
    process must not start in Danish."""
    yield
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


PROFILE = reverse("accounts:profile")
SET_LANGUAGE = reverse("accounts:set_language")
HOME = reverse("accounts:member_list")  # any signed-in page; the admin sees it


def language_of(response) -> str:
    return response["Content-Language"]


def signed_in(user, *, accept: str | None = None) -> Client:
    client = Client(headers={"accept-language": accept} if accept else {})
    client.force_login(user)
    return client


def test_without_a_saved_language_the_browsers_language_is_used(cast_a):
    assert language_of(signed_in(cast_a.admin.user, accept="sv-SE,sv;q=0.9,en;q=0.5").get(HOME)) == "sv"
    assert language_of(signed_in(cast_a.admin.user, accept="da").get(HOME)) == "da"


def test_without_either_the_sites_default_is_used(cast_a):
    assert language_of(signed_in(cast_a.admin.user).get(HOME)) == settings.LANGUAGE_CODE == "en"
    assert language_of(signed_in(cast_a.admin.user, accept="fr-FR").get(HOME)) == "en"


def test_a_saved_language_wins_over_the_browsers(cast_a):
    UserPreference.objects.create(user=cast_a.admin.user, language="nb")
    response = signed_in(cast_a.admin.user, accept="sv-SE,sv;q=0.9").get(HOME)
    assert language_of(response) == "nb"
    assert "Medlemmer" in response.content.decode()  # the page itself is Norwegian
    # Someone else in the same organization, with the same browser, still gets the browser's language.
    assert language_of(signed_in(cast_a.cx_manager.user, accept="sv").get(reverse("home"))) == "sv"


def test_a_blank_saved_language_means_the_browsers(cast_a):
    UserPreference.objects.create(user=cast_a.admin.user, language="")
    assert language_of(signed_in(cast_a.admin.user, accept="da").get(HOME)) == "da"


def test_anonymous_visitors_get_the_browsers_language(client):
    response = client.get(reverse("accounts:login"), headers={"accept-language": "nb-NO,nb;q=0.9"})
    assert language_of(response) == "nb"


def test_the_profile_page_saves_the_language_and_browser_default_clears_it(cast_b):
    user = cast_b.frontline.user
    client = signed_in(user, accept="da")
    page = client.get(PROFILE)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="" selected' in html and 'value="sv"' in html and 'value="nb"' in html

    response = client.post(PROFILE, {"language": "sv"})
    assert response.status_code == 302 and response["Location"] == PROFILE
    assert UserPreference.objects.get(user=user).language == "sv"
    assert language_of(client.get(PROFILE)) == "sv"
    # Saved on the account: a new session on another device (its browser asks for Danish) is Swedish too.
    assert language_of(signed_in(user, accept="da").get(PROFILE)) == "sv"

    response = client.post(PROFILE, {"language": ""})
    assert UserPreference.objects.get(user=user).language == ""
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == ""  # the switch's cookie is deleted too
    assert language_of(client.get(PROFILE)) == "da"


def test_the_profile_page_refuses_an_unknown_language_and_keeps_the_saved_one(cast_a):
    UserPreference.objects.create(user=cast_a.executive.user, language="da")
    client = signed_in(cast_a.executive.user)
    response = client.post(PROFILE, {"language": "xx"})
    assert response.status_code == 200
    assert "invalid-feedback" in response.content.decode()  # the field says what is wrong
    assert UserPreference.objects.get(user=cast_a.executive.user).language == "da"


def test_the_profile_page_needs_a_signed_in_user_and_touches_only_their_own_setting(client, cast_a, cast_b):
    response = client.get(PROFILE)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    assert client.post(PROFILE, {"language": "sv"}).status_code == 302
    signed_in(cast_a.admin.user).post(PROFILE, {"language": "nb"})
    assert list(UserPreference.objects.values_list("user_id", "language")) == [(cast_a.admin.user.pk, "nb")]
    assert language_of(signed_in(cast_b.admin.user, accept="da").get(HOME)) == "da"


def test_the_menus_language_switch_also_saves_the_setting(cast_a):
    user = cast_a.cx_manager.user
    client = signed_in(user, accept="en")
    response = client.post(SET_LANGUAGE, {"language": "da", "next": reverse("home")})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert UserPreference.objects.get(user=user).language == "da"
    assert language_of(client.get(reverse("home"))) == "da"
    # A new session (no cookie, an English browser) starts in Danish.
    assert language_of(signed_in(user, accept="en").get(reverse("home"))) == "da"


def test_the_language_switch_works_for_anonymous_visitors_without_saving(client):
    response = client.post(SET_LANGUAGE, {"language": "sv", "next": reverse("accounts:login")})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "sv"
    assert language_of(client.get(reverse("accounts:login"))) == "sv"
    assert not UserPreference.objects.exists()


def test_the_language_switch_ignores_an_unknown_language(cast_a):
    client = signed_in(cast_a.admin.user)
    client.post(SET_LANGUAGE, {"language": "xx", "next": "/"})
    assert not UserPreference.objects.exists()
    assert client.get(SET_LANGUAGE).status_code == 405


@pytest.mark.parametrize("language", ["en", "sv", "nb", "da"])
def test_the_members_list_shows_roles_in_words(cast_a, language):
    from django.utils import translation

    UserPreference.objects.create(user=cast_a.admin.user, language=language)
    html = signed_in(cast_a.admin.user).get(HOME).content.decode()
    with translation.override(language):
        labels = [str(label) for label in Role.labels]
    for label in labels:
        assert f"<td>{label}</td>" in html
    for code in Role.values:
        assert f"<td>{code}</td>" not in html


def test_the_password_reset_e_mail_is_written_in_the_accounts_saved_language(client, cast_a, mailoutbox):
    user = cast_a.frontline.user
    UserPreference.objects.create(user=user, language="sv")
    response = client.post(reverse("accounts:password_reset"), {"email": user.email}, headers={"accept-language": "en"})
    assert response.status_code == 302
    assert [m.subject for m in mailoutbox] == ["Återställ ditt lösenord för CX Platform"]
    # Without a saved language: the language of the page the reset was asked on.
    other = cast_a.executive.user
    client.post(reverse("accounts:password_reset"), {"email": other.email}, headers={"accept-language": "da"})
    assert mailoutbox[-1].subject == "Nulstil din adgangskode til CX Platform"


def test_the_org_context_names_its_role_in_the_readers_language(cast_a):
    from django.utils import translation

    from accounts.scoping import context_for_membership

    ctx = context_for_membership(cast_a.cx_manager, user=cast_a.cx_manager.user)
    with translation.override("en"):
        assert ctx.role_label == "CX manager"
    with translation.override("sv"):
        assert ctx.role_label == translation.gettext("CX manager") != "cx_manager"


# -- a saved language reaches every session of the user -----------------------------------------------------------

# The run's own REDIS_URL database and a key prefix of this run alone: only these keys are deleted (a RedisCache's
# clear() is a FLUSHDB of the whole database, which other runs and workers may share; issue 12, defect 12).
REDIS_PREFIX = f"test-preferences-{uuid.uuid4().hex[:12]}"
REDIS_CACHE = {
    "BACKEND": "django.core.cache.backends.redis.RedisCache",
    "LOCATION": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/4"),
    "KEY_PREFIX": REDIS_PREFIX,
    "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
}


@pytest.fixture(
    params=[
        pytest.param({"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}, id="locmem"),
        pytest.param(REDIS_CACHE, id="redis", marks=pytest.mark.redis),
    ]
)
def cache_backend(request, settings):
    """The demo's per-process cache and production's Redis: the language must reach every session on both."""
    from django.core.cache import caches

    settings.CACHES = {"default": request.param}

    def delete_own_keys():
        backend = caches["default"]
        if request.param.get("KEY_PREFIX") == REDIS_PREFIX:
            client = backend._cache.get_client(write=True)
            for key in client.scan_iter(match=f"{REDIS_PREFIX}:*"):
                client.delete(key)
        else:
            backend.clear()  # a LocMemCache of this process

    delete_own_keys()
    yield caches["default"]
    delete_own_keys()


def preference_queries(client, url) -> tuple[str, int]:
    """(Content-Language of GET url, how many queries of that request read the saved language)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    table = UserPreference._meta.db_table
    return language_of(response), sum(table in query["sql"] for query in queries.captured_queries)


def test_a_language_saved_in_one_session_reaches_the_users_other_sessions(cast_a, cache_backend):
    user = cast_a.admin.user
    laptop, phone = signed_in(user, accept="en"), signed_in(user, accept="en")
    assert language_of(phone.get(HOME)) == "en"
    # Once read, the saved language costs no query per request.
    assert preference_queries(phone, HOME) == ("en", 0)

    assert laptop.post(PROFILE, {"language": "sv"}).status_code == 302
    response = phone.get(HOME)
    assert language_of(response) == "sv"  # the phone, signed in before, follows on its next request
    assert "Medlemmar" in response.content.decode()
    assert preference_queries(phone, HOME) == ("sv", 0)

    # The menu's switch saves the language for every session too.
    laptop.post(SET_LANGUAGE, {"language": "da", "next": HOME})
    assert language_of(phone.get(HOME)) == "da"

    # Back to the browser's language: each session then follows its own browser.
    laptop.post(PROFILE, {"language": ""})
    assert language_of(phone.get(HOME)) == "en"
    assert language_of(signed_in(user, accept="nb").get(HOME)) == "nb"


def test_a_language_changed_outside_the_settings_page_reaches_signed_in_sessions(cast_a, cache_backend):
    user = cast_a.cx_manager.user
    session = signed_in(user, accept="en")
    assert language_of(session.get(reverse("home"))) == "en"
    UserPreference.objects.create(user=user, language="nb")  # e.g. by an administrator in the admin
    assert language_of(session.get(reverse("home"))) == "nb"
    UserPreference.objects.filter(user=user).delete()
    assert language_of(session.get(reverse("home"))) == "en"


def test_without_the_cache_the_saved_language_still_applies(cast_a, settings):
    """A Redis outage costs a request its cache, not its language: the session's copy, else the database."""
    from django.core.cache import caches

    settings.CACHES = {"default": {**REDIS_CACHE, "LOCATION": "redis://127.0.0.1:6390/0"}}  # nothing listens there
    assert caches["default"]._servers == ["redis://127.0.0.1:6390/0"]
    UserPreference.objects.create(user=cast_a.admin.user, language="da")
    session = signed_in(cast_a.admin.user, accept="sv")
    assert language_of(session.get(HOME)) == "da"
    session.post(PROFILE, {"language": "nb"})
    assert language_of(session.get(HOME)) == "nb"


def test_browser_default_confirms_in_the_browsers_language(cast_a):
    """Choosing "Browser default" shows the confirmation in the language the page is now shown in."""
    client = signed_in(cast_a.frontline.user, accept="da")
    client.post(PROFILE, {"language": "sv"})
    html = client.get(PROFILE).content.decode()
    assert "Dina inställningar har sparats." in html

    response = client.post(PROFILE, {"language": ""}, follow=True)
    assert language_of(response) == "da"
    html = response.content.decode()
    assert "Dine indstillinger er gemt." in html
    assert "Dina inställningar har sparats." not in html

"""The shell every staff page shares (base.html, includes/nav_items.html): no menu entry leads to a 403 for any role,
and the user menu names the role in words."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.test import Client
from django.utils import translation

from accounts.models import Role

pytestmark = pytest.mark.django_db

NAV = re.compile(r'<nav class="navbar[^"]*"[^>]*data-testid="site-nav".*?</nav>', re.S)
HREF = re.compile(r'<a\b[^>]*\bhref="([^"#][^"]*)"')


def menu_links(html: str) -> list[str]:
    nav = NAV.search(html)
    assert nav, "the page has no site menu"
    return sorted({unescape(href) for href in HREF.findall(nav.group(0))})


@pytest.mark.parametrize("role", Role.values)
def test_every_menu_entry_opens_for_every_role(cast_a, role):
    client = Client()
    client.force_login(cast_a.member(role).user)
    start = client.get("/", follow=True)
    assert start.status_code == 200
    links = menu_links(start.content.decode())
    assert len(links) >= 5
    refused = {}
    for href in links:
        response = client.get(href, follow=True)
        if response.status_code != 200:
            refused[href] = response.status_code
    assert refused == {}, f"{role}: menu entries that do not open: {refused}"


def test_the_user_menu_names_the_role_in_words(cast_a, client_for):
    html = client_for(cast_a.cx_manager).get("/", follow=True).content.decode()
    badge = re.search(r'data-testid="role-badge"[^>]*>([^<]*)<', html)
    assert badge and badge.group(1).strip() == "CX manager"
    assert ">cx_manager<" not in html
    client = client_for(cast_a.frontline)
    client.cookies["django_language"] = "sv"
    html = client.get("/", follow=True).content.decode()
    badge = re.search(r'data-testid="role-badge"[^>]*>([^<]*)<', html)
    with translation.override("sv"):
        assert badge.group(1).strip() == str(Role.FRONTLINE.label)

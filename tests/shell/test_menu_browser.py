"""The admin's menu (the longest one) fits a 1,280 px laptop screen in every language: one row, no sideways scroll."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import _make_cast, signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MEASURE = """() => {
  const nav = document.querySelector('[data-testid=site-nav]');
  const items = [...nav.querySelectorAll('#mainnav > ul > li')].map(li => li.getBoundingClientRect());
  const tops = items.map(r => Math.round(r.top));
  return {
    navHeight: nav.getBoundingClientRect().height,
    rows: new Set(tops).size,
    right: Math.max(...items.map(r => r.right)),
    scrollWidth: document.documentElement.scrollWidth,
    items: items.length,
  };
}"""


def test_the_admins_menu_fits_1280px_in_every_language(live_server, chromium):
    cast = _make_cast("Nordisk Energi och Bredband")
    session = signed_in_page(chromium, live_server, cast.admin.user, viewport={"width": 1280, "height": 800})
    page = session.page
    measured = {}
    for language in ("en", "sv", "nb", "da"):
        page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        page.goto(live_server.url + reverse("kpis:overview"))
        assert page.get_attribute("html", "lang") == language
        measured[language] = page.evaluate(MEASURE)
    # The first Tab reaches the skip link, which is then visible and leads to the page's main content.
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert skip.evaluate("el => el === document.activeElement") and skip.is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.context.close()
    for language, m in measured.items():
        assert m["items"] >= 8, (language, m)
        assert m["rows"] == 1 and m["navHeight"] <= 64, (language, m)
        assert m["scrollWidth"] <= 1280 and m["right"] <= 1280, (language, m)
    assert session.errors == []

"""A filter the explorer cannot apply is said above the results, never dropped silently: a frontline member who
follows a link to another team's touchpoint must not take their own team's responses for that touchpoint's."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.surveys.ingestion.test_explorer import data, shown  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

LIST = reverse("surveys:response_list")


def errors_on(page: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", m).strip() for m in re.findall(r'data-testid="filter-error">(.*?)</div>', page, re.S)
    ]


def test_another_teams_touchpoint_is_reported_not_silently_dropped(client_for, data):  # noqa: F811
    prog, _persona, rows = data
    c = client_for(prog.cast.frontline)
    r = c.get(LIST, {"touchpoint": prog.other_touchpoint.pk})
    assert r.status_code == 200
    assert rows["billing"].pk not in shown(r)
    assert errors_on(r.content.decode()) == [
        "The touchpoint filter was not applied: that touchpoint does not exist or its responses are not yours to see."
    ]
    # The same in the htmx fragment that replaces the results when a filter changes.
    fragment = c.get(LIST, {"touchpoint": prog.other_touchpoint.pk}, HTTP_HX_REQUEST="true").content.decode()
    assert len(errors_on(fragment)) == 1
    # A CX manager sees that touchpoint: the filter applies and nothing is reported.
    r = client_for(prog.cast.cx_manager).get(LIST, {"touchpoint": prog.other_touchpoint.pk})
    assert shown(r) == [rows["billing"].pk] and errors_on(r.content.decode()) == []


def test_every_invalid_filter_is_named_and_the_valid_ones_still_apply(client_for, data, prog_b):  # noqa: F811
    prog, _persona, rows = data
    c = client_for(prog.cast.cx_manager)
    r = c.get(LIST, {"journey": prog_b.touchpoint.journey.pk, "from": "2026-13-45", "band": "angry", "language": "en"})
    errors = errors_on(r.content.decode())
    assert errors[0].startswith("The journey filter was not applied")
    assert "The filter “From” was not applied: Enter a valid date." in errors
    assert any(e.startswith("The filter “NPS band” was not applied") for e in errors)
    assert len(errors) == 3
    assert shown(r) == [rows["passive"].pk]  # the language filter still applies
    assert errors_on(c.get(LIST, {"language": "en"}).content.decode()) == []
    assert errors_on(c.get(LIST).content.decode()) == []

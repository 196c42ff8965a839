"""Response explorer: filters, scoping by role and organization, bounded queries, CSV/XLSX export."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.test import override_settings
from django.urls import reverse

from core.spreadsheets import neutralise
from surveys.ingestion.services import response_submit
from tests.factories import CustomerFactory, PersonaFactory

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

LIST = reverse("surveys:response_list")
CSV = reverse("surveys:response_export_csv")
XLSX = reverse("surveys:response_export_xlsx")


def submit(prog, nps, *, touchpoint=None, customer=None, when=None, language="sv", channel="web", why=""):
    answers = {"nps": nps}
    if why:
        answers["why"] = why
    response, _ = response_submit(
        organization=prog.org,
        survey=prog.survey,
        version=prog.survey.current_version,
        answers=answers,
        touchpoint=touchpoint or prog.touchpoint,
        customer=customer,
        language=language,
        channel=channel,
        submitted_at=when or dt.datetime(2026, 5, 10, 12, tzinfo=dt.UTC),
    )
    return response


def shown(response) -> list[int]:
    return [r.pk for r in response.context["responses"]]


@pytest.fixture
def data(prog_a):
    persona = PersonaFactory(organization=prog_a.org, name="Mover")
    business = CustomerFactory(organization=prog_a.org, segment="business", persona=persona)
    rows = {
        "promoter": submit(prog_a, 10, customer=prog_a.customer, why="Smooth move"),
        "passive": submit(prog_a, 7, language="en", channel="app", when=dt.datetime(2026, 4, 1, 9, tzinfo=dt.UTC)),
        "detractor": submit(prog_a, 2, customer=business, why="Waited 40 minutes", channel="phone"),
        "billing": submit(prog_a, 9, touchpoint=prog_a.other_touchpoint, language="nb"),
    }
    return prog_a, persona, rows


def test_the_explorer_lists_responses_with_score_and_verbatim(client_for, data):
    prog, _persona, rows = data
    r = client_for(prog.cast.cx_manager).get(LIST)
    assert r.status_code == 200
    assert set(shown(r)) == {x.pk for x in rows.values()}
    page = r.content.decode()
    assert "Waited 40 minutes" in page and "Smooth move" in page


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"band": "promoter"}, {"promoter", "billing"}),
        ({"band": "passive"}, {"passive"}),
        ({"band": "detractor"}, {"detractor"}),
        ({"language": "en"}, {"passive"}),
        ({"channel": "phone"}, {"detractor"}),
        ({"segment": "business"}, {"detractor"}),
        ({"comment": "on"}, {"promoter", "detractor"}),
        ({"from": "2026-05-01"}, {"promoter", "detractor", "billing"}),
        ({"to": "2026-04-30"}, {"passive"}),
        ({"band": "promoter", "language": "nb"}, {"billing"}),
    ],
)
def test_filters_narrow_the_list(client_for, data, params, expected):
    prog, _persona, rows = data
    r = client_for(prog.cast.cx_manager).get(LIST, params)
    assert set(shown(r)) == {rows[name].pk for name in expected}


def test_filters_by_journey_touchpoint_and_persona(client_for, data):
    prog, persona, rows = data
    c = client_for(prog.cast.executive)
    assert set(shown(c.get(LIST, {"journey": prog.other_touchpoint.journey_id}))) == {rows["billing"].pk}
    assert set(shown(c.get(LIST, {"touchpoint": prog.touchpoint.pk}))) == {
        rows[n].pk for n in ("promoter", "passive", "detractor")
    }
    assert set(shown(c.get(LIST, {"persona": persona.pk}))) == {rows["detractor"].pk}


def test_an_htmx_filter_request_gets_only_the_results_fragment(client_for, data):
    prog, _persona, _rows = data
    r = client_for(prog.cast.cx_manager).get(LIST, {"band": "detractor"}, HTTP_HX_REQUEST="true")
    assert r.templates[0].name == "surveys/explorer/_results.html"


def test_frontline_users_see_only_their_teams_touchpoints(client_for, data):
    prog, _persona, rows = data
    c = client_for(prog.cast.frontline)
    assert rows["billing"].pk not in shown(c.get(LIST))
    assert len(shown(c.get(LIST))) == 3
    assert c.get(reverse("surveys:response_detail", args=[rows["billing"].pk])).status_code == 404
    assert c.get(reverse("surveys:response_detail", args=[rows["promoter"].pk])).status_code == 200
    table = list(csv.reader(io.StringIO(b"".join(c.get(CSV).streaming_content).decode("utf-8-sig"))))
    assert {int(row[0]) for row in table[1:]} == {rows[n].pk for n in ("promoter", "passive", "detractor")}


def test_the_detail_page_shows_every_answer(client_for, data):
    prog, _persona, rows = data
    r = client_for(prog.cast.executive).get(reverse("surveys:response_detail", args=[rows["detractor"].pk]))
    page = r.content.decode()
    assert "Waited 40 minutes" in page
    assert 'data-testid="answer-nps">2<' in page


def test_the_list_page_runs_a_bounded_number_of_queries(client_for, prog_a, django_assert_max_num_queries):
    for i in range(60):
        submit(prog_a, i % 11, customer=prog_a.customer, why=f"comment {i}")
    c = client_for(prog_a.cast.cx_manager)
    # 16 + the totals of the filtered set (one aggregate query) + the user's saved filters.
    with django_assert_max_num_queries(18):
        r = c.get(LIST)
    assert len(shown(r)) == 50
    assert r.context["has_next"]
    with django_assert_max_num_queries(18):
        r = c.get(LIST, {"page": 2})
    assert len(shown(r)) == 10 and not r.context["has_next"]


def test_another_organization_sees_nothing_and_gets_404s(client_for, data, prog_b):
    prog, _persona, rows = data
    c = client_for(prog_b.cast.admin)
    assert shown(c.get(LIST)) == []
    assert shown(c.get(LIST, {"touchpoint": prog.touchpoint.pk})) == []
    assert c.get(reverse("surveys:response_detail", args=[rows["promoter"].pk])).status_code == 404
    body = b"".join(c.get(CSV).streaming_content).decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(body)))) == 1  # the header only
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(c.get(XLSX).streaming_content)))
    assert workbook.active.max_row == 1


INJECTIONS = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)"]


@pytest.mark.parametrize("text", [*INJECTIONS, "\tTAB", "\rCR"])
def test_every_formula_prefix_is_neutralised(text):
    assert neutralise(text) == "'" + text
    assert neutralise("plain") == "plain"
    assert neutralise(-3) == -3


def injected(prog):
    """Responses whose comment, customer id and segment would run as formulas in a spreadsheet."""
    for text in INJECTIONS:
        submit(prog, 1, why=text, channel="email")
    customer = CustomerFactory(organization=prog.org, external_id="=1+2", segment="\tvip")
    submit(prog, 1, why="fine", channel="email", customer=customer)


def test_csv_export_streams_the_filtered_set_with_formulas_neutralised(client_for, data):
    prog, _persona, _rows = data
    injected(prog)
    r = client_for(prog.cast.cx_manager).get(CSV, {"channel": "email"})
    assert r.streaming
    assert r["Content-Type"].startswith("text/csv")
    assert r["Cache-Control"] == "no-store, private"  # personal data: no copy in any cache (issue 12, defect 13)
    table = list(csv.reader(io.StringIO(b"".join(r.streaming_content).decode("utf-8-sig"))))
    header, body = table[0], table[1:]
    assert len(body) == len(INJECTIONS) + 1
    why = header.index("why")
    assert sorted(row[why] for row in body) == sorted(["fine", *("'" + t for t in INJECTIONS)])
    assert ["'=1+2", "'\tvip"] in [row[5:7] for row in body]
    assert {row[header.index("nps")] for row in body} == {"1"}


def test_xlsx_export_neutralises_formulas(client_for, data):
    prog, _persona, _rows = data
    injected(prog)
    r = client_for(prog.cast.executive).get(XLSX, {"channel": "email"})
    assert r.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(r.streaming_content))).active
    header = [c.value for c in sheet[1]]
    values = [row[header.index("why")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(values) == sorted(["fine", *("'" + t for t in INJECTIONS)])
    assert ("'=1+2", "'\tvip") in [row[5:7] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


@override_settings(SURVEYS_EXPORT_XLSX_MAX_ROWS=3)
def test_a_too_large_xlsx_export_points_to_csv(client_for, data):
    prog, _persona, _rows = data
    r = client_for(prog.cast.cx_manager).get(XLSX, follow=True)
    assert "export CSV" in r.content.decode()
    assert r.redirect_chain[-1][0].startswith(LIST)

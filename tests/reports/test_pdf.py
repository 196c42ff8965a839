"""The report's PDF: A4, page numbers, the organization's name with its Nordic letters, the headline figures, charts
as vector graphics (and a line of text when a chart cannot be drawn). Rendered for real (WeasyPrint, kaleido with the
system Chromium), read back with pypdf."""

from __future__ import annotations

import datetime as dt
import io
import re
import time

import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from pypdf import PdfReader

from accounts.models import Role
from reports.delivery.pdf import render_report_pdf
from reports.models import MonthlyReport
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.kpis.conftest import make_world

NORDIC_NAME = "Fjällräven Østergård AB"
A4 = (595.28, 841.89)  # points


def last_month() -> dt.date:
    return (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def make_org(name: str = NORDIC_NAME, *, slug: str = "fjallraven-ostergard", language: str = "sv"):
    org = OrganizationFactory(name=name, slug=slug, default_language=language)
    executive = MembershipFactory(organization=org, user=UserFactory(username=f"{slug}-exec"), role=Role.EXECUTIVE)
    return org, executive


def seed_month(org, capture, *, month: dt.date, scores=(10, 9, 3, 8), n: int = 40):
    """Responses in `month`, processed the way ingestion does (rollups included): NPS +25 with the default scores."""
    world = make_world(org)
    for i in range(n):
        with capture(execute=True):
            world.respond(world.touchpoints[i % 3], month + dt.timedelta(days=i % 20), nps=scores[i % len(scores)])
    return world


def generate(org, capture, *, month: dt.date, trigger=MonthlyReport.Trigger.SCHEDULE, journey=None) -> MonthlyReport:
    """A report generated the way beat or the page does it; `report_ready` runs its receivers (eagerly here)."""
    from reports.services import report_generate

    with capture(execute=True):
        report = report_generate(organization=org, month=month, journey=journey, trigger=trigger)
    assert report is not None and report.status == MonthlyReport.Status.READY, report and report.error
    report.refresh_from_db()
    return report


def header_title(report: MonthlyReport, language: str) -> str:
    """The page header's title as the PDF prints it in `language`."""
    with translation.override(language):
        return _("Monthly report %(month)s") % {"month": date_format(report.month, "F Y")}


def pdf_text(pdf: bytes) -> tuple[PdfReader, list[str]]:
    reader = PdfReader(io.BytesIO(pdf))
    return reader, [page.extract_text() for page in reader.pages]


@pytest.fixture
def nordic_report(db, django_capture_on_commit_callbacks):
    org, _executive = make_org()
    month = last_month()
    seed_month(org, django_capture_on_commit_callbacks, month=month)
    return generate(org, django_capture_on_commit_callbacks, month=month)


def test_report_ready_stores_the_pdf_in_the_organizations_language_with_name_and_headline_figures(nordic_report):
    assert nordic_report.pdf, "the report_ready receiver stores the PDF"
    reader, pages = pdf_text(bytes(nordic_report.pdf))
    text = "\n".join(pages)
    headline = nordic_report.figures["summary"]["headline"]
    assert headline["value"] == 25.0 and headline["n"] == 40
    assert NORDIC_NAME in text
    assert "+25" in text  # the headline NPS as the page prints it
    assert re.search(r"n\s*=\s*40", text)
    assert header_title(nordic_report, "sv") in text  # in the organization's language (sv)
    # A4, several pages, "page X of Y" and the organization's name on every page.
    assert len(reader.pages) >= 2
    for number, page in enumerate(reader.pages, start=1):
        box = page.mediabox
        assert (round(float(box.width), 2), round(float(box.height), 2)) == A4
        with translation.override("sv"):
            footer = _("Page %(page)s of %(pages)s") % {"page": number, "pages": len(reader.pages)}
        assert footer in pages[number - 1]
        assert NORDIC_NAME in pages[number - 1]


def test_charts_are_vector_graphics_not_images(nordic_report):
    reader, pages = pdf_text(bytes(nordic_report.pdf))

    def images(obj) -> int:
        count = 0
        for xobject in (obj.get("/Resources", {}).get("/XObject") or {}).values():
            xobject = xobject.get_object()
            if xobject.get("/Subtype") == "/Image":
                count += 1
            elif xobject.get("/Subtype") == "/Form":
                count += images(xobject)
        return count

    assert sum(images(page) for page in reader.pages) == 0
    # The trend chart's axis labels are text in the PDF (drawn from the SVG), e.g. "Nov 2025".
    assert re.search(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) 20\d\d\b", "\n".join(pages))


def test_a_chart_that_cannot_be_drawn_becomes_a_line_of_text_not_a_failed_pdf(nordic_report, monkeypatch):
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")  # no browser: kaleido cannot start
    _reader, pages = pdf_text(render_report_pdf(nordic_report, language="en"))
    text = "\n".join(pages)
    with translation.override("en"):
        assert _("This chart could not be drawn.") in text
    assert NORDIC_NAME in text


def test_a_broken_figure_costs_only_its_own_chart(nordic_report):
    figures = dict(nordic_report.figures)
    figures["charts"] = {"trend": {"data": "not a list of traces", "layout": {"width": "wide"}}}
    nordic_report.figures = figures
    started = time.monotonic()
    _reader, pages = pdf_text(render_report_pdf(nordic_report, language="en"))
    assert time.monotonic() - started < 10
    with translation.override("en"):
        assert _("This chart could not be drawn.") in "\n".join(pages)


def test_the_pdf_in_another_language_is_rendered_in_that_language(nordic_report):
    _reader, pages = pdf_text(render_report_pdf(nordic_report, language="en"))
    text = "\n".join(pages)
    assert "Monthly report November" in header_title(nordic_report, "en")
    assert header_title(nordic_report, "en") in text
    assert f"Page 1 of {len(pages)}" in text
    assert NORDIC_NAME in text

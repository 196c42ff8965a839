"""The monthly report as a PDF: the report body (reports.rendering) in an A4 print layout, charts as vector SVG.

WeasyPrint lays the page out; the header and footer (organization, month, "page X of Y") are CSS @page margin boxes,
so they repeat on every page. The fonts are DejaVu Sans / Liberation Sans (Debian: fonts-dejavu-core), which carry
every Nordic letter; nothing is fetched from the network while rendering (charts are inlined as data URIs).
"""

from __future__ import annotations

import base64
import logging
import re
import time
from typing import TYPE_CHECKING

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from reports.delivery.charts import charts_to_svg

if TYPE_CHECKING:
    from reports.models import MonthlyReport

logger = logging.getLogger(__name__)

# <div class="report-chart" data-chart="NAME"></div>, the placeholder reports.rendering leaves for each chart.
CHART_PLACEHOLDER = re.compile(
    r'<div\b(?=[^>]*\bclass="[^"]*\breport-chart\b)[^>]*\bdata-chart="(?P<name>[^"]+)"[^>]*>.*?</div>', re.DOTALL
)


def report_body(report: MonthlyReport, *, language: str) -> str:
    """The report body in `language` (reports.rendering); the stored page where that module is not there yet."""
    try:
        from reports.rendering import render_report_body
    except ImportError:
        return report.html
    return render_report_body(report, language=language)


def chart_names(body: str) -> list[str]:
    return list(dict.fromkeys(m.group("name") for m in CHART_PLACEHOLDER.finditer(body)))


def _css_string(text: str) -> str:
    """`text` as a CSS string literal (for `content:` in the page margin boxes)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _page_counter_css() -> str:
    """ "Page X of Y" in the active language as a CSS content value built around counter(page) / counter(pages)."""
    marker_page, marker_pages = "\x00P\x00", "\x00N\x00"
    text = _("Page %(page)s of %(pages)s") % {"page": marker_page, "pages": marker_pages}
    parts = re.split(f"({re.escape(marker_page)}|{re.escape(marker_pages)})", text)
    out = []
    for part in parts:
        if part == marker_page:
            out.append("counter(page)")
        elif part == marker_pages:
            out.append("counter(pages)")
        elif part:
            out.append(_css_string(part))
    return " ".join(out)


def _inline_charts(body: str, charts: dict[str, dict], svgs: dict[str, str | None]) -> str:
    def replace(match: re.Match) -> str:
        name = match.group("name")
        svg = svgs.get(name)
        if not svg:
            note = _("This chart could not be drawn.") if name in charts else _("This chart is not available.")
            return f'<p class="chart-missing">{note}</p>'
        data = base64.b64encode(svg.encode()).decode()
        return f'<div class="report-chart"><img src="data:image/svg+xml;base64,{data}" alt=""></div>'

    return CHART_PLACEHOLDER.sub(replace, body)


def render_report_pdf(report: MonthlyReport, *, language: str) -> bytes:
    """Render `report` as an A4 PDF in `language` (its body, charts as SVG, header, footer, page numbers)."""
    from weasyprint import HTML

    from reports.charts import localized_charts

    started = time.monotonic()
    organization = report.organization
    with translation.override(language), timezone.override(organization.zone):
        body = report_body(report, language=language)
        charts = localized_charts(report.figures or {}, language=language)
        names = chart_names(body)
        svgs = charts_to_svg({name: charts[name] for name in names if name in charts}) if names else {}
        body = _inline_charts(body, charts, svgs)
        month = date_format(report.month, "F Y")
        scope = report.journey.name if report.journey_id else ""
        title = _("Monthly report %(month)s") % {"month": month}
        html = render_to_string(
            "reports/pdf/report.html",
            {
                "report": report,
                "organization": organization,
                "title": title,
                "scope": scope,
                "body": body,
                "language": language,
                "header_left": _css_string(organization.name),
                "header_right": _css_string(" · ".join(filter(None, [title, scope]))),
                "footer_left": _css_string(_("Version %(version)s") % {"version": report.version}),
                "footer_right": _page_counter_css(),
            },
        )
    pdf = HTML(string=html).write_pdf()
    logger.info(
        "report %s: PDF in %s, %d charts, %d bytes, %.2f s",
        report.pk,
        language,
        len(names),
        len(pdf),
        time.monotonic() - started,
    )
    return pdf


def pdf_filename(report: MonthlyReport, *, language: str) -> str:
    """A file name such as `report-fjallraven-ostergard-2026-11-v2-sv.pdf` (ASCII: the slug)."""
    scope = f"-journey-{report.journey_id}" if report.journey_id else ""
    return f"report-{report.organization.slug}{scope}-{report.month:%Y-%m}-v{report.version}-{language}.pdf"

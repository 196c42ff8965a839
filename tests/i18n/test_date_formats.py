"""No template writes a date or time a person reads in a literal format (issue 13): dates and times go through the
named formats (SHORT_DATE_FORMAT, DATETIME_FORMAT, ...) so an nb/da reader sees 06.12.2026 on every page and an sv
reader 2026-12-06. A literal format is fine only where a machine reads the value: a `datetime=` attribute
(`|date:'c'`), an input's `value=`/`min=`/`max=` (type=date/month inputs take ISO), and the few entries of ALLOWED.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"

NAMED = {
    "DATE_FORMAT",
    "DATETIME_FORMAT",
    "SHORT_DATE_FORMAT",
    "SHORT_DATETIME_FORMAT",
    "TIME_FORMAT",
    "YEAR_MONTH_FORMAT",
    "MONTH_DAY_FORMAT",
}
# A date/time filter or {% now %} with its format argument.
FORMAT_USE = re.compile(r"""\|\s*(?:date|time)\s*:\s*(["'])(?P<fmt>.*?)\1|\{%\s*now\s+(["'])(?P<now>.*?)\3""")
# Attributes whose value a machine reads; their (double-quoted) value may hold template tags with quotes.
MACHINE_ATTR = re.compile(r"""\b(?:datetime|value|min|max)\s*=\s*"(?:\{\{.*?\}\}|\{%.*?%\}|[^"])*\"""", re.S)

# Deliberate exceptions: (template, format) -> reason.
ALLOWED = {
    # A webhook delivery log needs the second (retries come seconds apart); Django has no named time format with
    # seconds, and every locale of the platform writes 24-hour times as H:i:s.
    ("webhooks/delivery_detail.html", "H:i:s"): "delivery log: attempt times to the second",
    ("webhooks/endpoint_detail.html", "H:i:s"): "delivery log: attempt times to the second",
}


def literal_formats(text: str) -> list[tuple[int, str]]:
    """(line, format) of every literal date/time format outside a machine-read attribute."""
    machine = [m.span() for m in MACHINE_ATTR.finditer(text)]
    found = []
    for m in FORMAT_USE.finditer(text):
        fmt = m.group("fmt") if m.group("fmt") is not None else m.group("now")
        if fmt in NAMED or any(start <= m.start() < end for start, end in machine):
            continue
        found.append((text.count("\n", 0, m.start()) + 1, fmt))
    return found


def offenders() -> list[str]:
    out = []
    for path in sorted(TEMPLATES.rglob("*")):
        if not path.is_file() or path.suffix not in {".html", ".txt"}:
            continue
        name = path.relative_to(TEMPLATES).as_posix()
        for line, fmt in literal_formats(path.read_text(encoding="utf-8")):
            if (name, fmt) not in ALLOWED:
                out.append(f"templates/{name}:{line}: {fmt!r}")
    return out


def test_no_template_shows_a_date_in_a_literal_format():
    assert offenders() == [], "Use a named format (SHORT_DATE_FORMAT, DATETIME_FORMAT, ...):\n" + "\n".join(offenders())


def test_every_allowed_exception_still_occurs():
    seen = {
        (path.relative_to(TEMPLATES).as_posix(), fmt)
        for path in TEMPLATES.rglob("*.html")
        for _line, fmt in literal_formats(path.read_text(encoding="utf-8"))
    }
    assert set(ALLOWED) - seen == set(), "remove the entries that no longer occur"


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        ('{{ x|date:"Y-m-d" }}', ["Y-m-d"]),
        ("{{ x|date:'d.m.Y H:i' }}", ["d.m.Y H:i"]),
        ('{% blocktranslate with d=x|date:"Y-m-d" %}From {{ d }}{% endblocktranslate %}', ["Y-m-d"]),
        ('{{ x|time:"H:i" }}', ["H:i"]),
        ('{% now "Y" %}', ["Y"]),
        ('{{ x|date:"c" }}', ["c"]),
        ('{{ x|date:"SHORT_DATE_FORMAT" }} {{ x|time:"TIME_FORMAT" }}', []),
        ('<time datetime="{{ x|date:\'c\' }}">{{ x|date:"DATE_FORMAT" }}</time>', []),
        ('<input type="date" value="{{ x|date:"Y-m-d" }}" max="{{ y|date:\'Y-m-d\' }}">', []),
        ("<input type=\"month\" value=\"{{ x|date:'Y-m' }}\"> {{ x|date:'Y-m' }}", ["Y-m"]),
    ],
)
def test_the_scan_finds_literal_formats_outside_machine_attributes(snippet, expected):
    assert [fmt for _line, fmt in literal_formats(snippet)] == expected


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "expected"), [("nb", "06.12.2026 14:05"), ("sv", "2026-12-06 14:05")])
def test_the_import_pages_write_dates_as_the_readers_locale_does(client_for, cast_a, language, expected):
    import datetime as dt

    from django.urls import reverse

    from imports.models import ImportJob

    moment = dt.datetime(2026, 12, 6, 14, 5, tzinfo=cast_a.org.zone)  # as the page shows it
    job = ImportJob.objects.create(organization=cast_a.org, kind="customers", original_name="x.csv")
    ImportJob.objects.filter(pk=job.pk).update(created_at=moment)
    c = client_for(cast_a.cx_manager)
    for url in (reverse("imports:job_list"), reverse("imports:job_detail", args=[job.pk])):
        page = c.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert expected in page, (language, url)

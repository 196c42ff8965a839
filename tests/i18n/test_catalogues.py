"""The sv/nb/da catalogues are complete, well-formed, compiled and up to date with the source (issue 13, point 1).

A failure lists the offending msgids (the first 30) so a developer or translator knows what to fix:
- untranslated, fuzzy or obsolete entries;
- a msgstr that loses, adds or changes a placeholder (%(name)s, %s, {name}) or an HTML tag of its msgid;
- a plural entry with a missing form;
- a django.mo that does not match its django.po (compilemessages forgotten);
- a msgid in the source (templates, Python) that is missing from the committed catalogue (makemessages forgotten).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from functools import cache
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ["sv", "nb", "da"]
SHOW = 30

# %(name)s, %s, %d, %.1f ... in python-format strings; "%%" is a literal percent sign and is not a placeholder.
PERCENT_PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[#0 +-]*\d*(?:\.\d+)?[sdifgeExXr%]")
BRACE_PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_.]*(?:![rsa])?(?::[^{}]*)?\}")
WHITESPACE = re.compile(r"\s+")
HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")


def po_path(lang: str) -> Path:
    return ROOT / "locale" / lang / "LC_MESSAGES" / "django.po"


@cache
def load_po(lang: str) -> polib.POFile:
    return polib.pofile(str(po_path(lang)), wrapwidth=0)


def key(entry: polib._BaseEntry) -> str:
    return f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid


def listing(title: str, items: list[str]) -> str:
    shown = "\n".join(f"  - {item}" for item in items[:SHOW])
    more = f"\n  ... and {len(items) - SHOW} more" if len(items) > SHOW else ""
    return f"{title}: {len(items)}\n{shown}{more}"


def placeholders(text: str, *, python_format: bool) -> Counter:
    found: list[str] = []
    if python_format:
        found += [p for p in PERCENT_PLACEHOLDER.findall(text) if p != "%%"]
    found += [f"brace:{p}" for p in BRACE_PLACEHOLDER.findall(text)]
    found += ["tag:" + WHITESPACE.sub(" ", t) for t in HTML_TAG.findall(text)]
    return Counter(found)


def describe(expected: Counter, got: Counter) -> str:
    missing = sorted((expected - got).elements())
    extra = sorted((got - expected).elements())
    return f"missing {missing}, extra {extra}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_untranslated_entry(lang):
    untranslated = [repr(key(e)) for e in load_po(lang).untranslated_entries()]
    assert not untranslated, listing(f"{po_path(lang).relative_to(ROOT)}: untranslated entries", untranslated)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_fuzzy_entry(lang):
    fuzzy = [repr(key(e)) for e in load_po(lang).fuzzy_entries()]
    assert not fuzzy, listing(f"{po_path(lang).relative_to(ROOT)}: fuzzy entries (check them, remove the flag)", fuzzy)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_obsolete_entry(lang):
    obsolete = [repr(key(e)) for e in load_po(lang).obsolete_entries()]
    assert not obsolete, listing(
        f"{po_path(lang).relative_to(ROOT)}: obsolete (#~) entries (run makemessages --no-obsolete)", obsolete
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_keep_placeholders_and_tags(lang):
    problems: list[str] = []
    for entry in load_po(lang):
        if entry.obsolete or not entry.msgid:
            continue
        python_format = "python-format" in entry.flags
        if entry.msgid_plural:
            singular = placeholders(entry.msgid, python_format=python_format)
            plural = placeholders(entry.msgid_plural, python_format=python_format)
            for index, form in sorted(entry.msgstr_plural.items()):
                if not form:
                    continue  # reported as untranslated / missing plural form
                got = placeholders(form, python_format=python_format)
                # Form 0 is the singular; a singular may name the count ("%(n)s minute") or not ("one minute").
                allowed = [singular, plural] if int(index) == 0 else [plural]
                if got not in allowed:
                    problems.append(f"{key(entry)!r} [form {index}] -> {form!r}: {describe(allowed[-1], got)}")
        elif entry.msgstr:
            expected = placeholders(entry.msgid, python_format=python_format)
            got = placeholders(entry.msgstr, python_format=python_format)
            if got != expected:
                problems.append(f"{key(entry)!r} -> {entry.msgstr!r}: {describe(expected, got)}")
    assert not problems, listing(f"{po_path(lang).relative_to(ROOT)}: placeholders or HTML tags changed", problems)


def nplurals(po: polib.POFile) -> int:
    match = re.search(r"nplurals\s*=\s*(\d+)", po.metadata.get("Plural-Forms", ""))
    assert match, "the catalogue's header has no Plural-Forms"
    return int(match.group(1))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_plural_entries_have_every_form(lang):
    po = load_po(lang)
    forms = nplurals(po)
    incomplete = [
        repr(key(e))
        for e in po
        if e.msgid_plural
        and not e.obsolete
        and (
            sorted(int(i) for i in e.msgstr_plural) != list(range(forms))
            or any(not e.msgstr_plural.get(i, e.msgstr_plural.get(str(i))) for i in range(forms))
        )
    ]
    assert not incomplete, listing(
        f"{po_path(lang).relative_to(ROOT)}: plural entries without all {forms} forms", incomplete
    )


def translated_pairs(catalogue) -> dict[str, object]:
    pairs = {}
    for entry in catalogue:
        if not entry.msgid or entry.obsolete or "fuzzy" in entry.flags:
            continue
        if entry.msgid_plural:
            forms = tuple(entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural, key=int))
            if all(forms):
                pairs[key(entry)] = (entry.msgid_plural, forms)
        elif entry.msgstr:
            pairs[key(entry)] = entry.msgstr
    return pairs


@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_mo_matches_po(lang):
    mo_path = po_path(lang).with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path.relative_to(ROOT)} is missing: run compilemessages"
    po_pairs = translated_pairs(load_po(lang))
    mo_pairs = translated_pairs(polib.mofile(str(mo_path)))
    stale = [repr(k) for k in po_pairs if mo_pairs.get(k) != po_pairs[k]]
    extra = [repr(k) for k in mo_pairs if k not in po_pairs]
    assert not stale and not extra, (
        f"{mo_path.relative_to(ROOT)} does not match django.po: run "
        f"`manage.py compilemessages -l {lang} --ignore=.venv`\n"
        + listing("translated in .po, missing or different in .mo", stale)
        + "\n"
        + listing("in .mo but not translated in .po", extra)
    )


# ---------------------------------------------------------------------------------------------------------------
# The catalogue is up to date with the source: extract the msgids with makemessages in a copy of the project.

COPY_IGNORE = shutil.ignore_patterns(
    ".venv", ".git", ".hypothesis", "__pycache__", "*.pyc", "node_modules", "staticfiles", "media", "locale", "tests"
)


@pytest.fixture(scope="module")
def source_msgids(tmp_path_factory) -> set[str]:
    copy = tmp_path_factory.mktemp("i18n-source") / "project"
    shutil.copytree(ROOT, copy, ignore=COPY_IGNORE)
    (copy / "locale").mkdir()
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="cxplatform.settings", PYTHONDONTWRITEBYTECODE="1")
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "sv",
            "--ignore=.venv",
            "--ignore=tests",
            "--ignore=demo",
            "--no-obsolete",
        ],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"makemessages failed:\n{result.stdout}\n{result.stderr}"
    extracted = copy / "locale" / "sv" / "LC_MESSAGES" / "django.po"
    assert extracted.exists(), f"makemessages wrote no catalogue:\n{result.stdout}\n{result.stderr}"
    return {key(e) for e in polib.pofile(str(extracted), wrapwidth=0) if e.msgid and not e.obsolete}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue_contains_every_msgid_of_the_source(lang, source_msgids):
    assert len(source_msgids) > 100, "the extraction found almost nothing: is the copy of the project complete?"
    committed = {key(e) for e in load_po(lang) if e.msgid and not e.obsolete}
    missing = [repr(k) for k in sorted(source_msgids - committed)]
    assert not missing, listing(
        f"{po_path(lang).relative_to(ROOT)}: msgids in the source but not in the catalogue (run `make messages`, "
        "then translate them)",
        missing,
    )


def test_the_placeholder_check_sees_a_lost_renamed_or_added_placeholder_or_tag():
    def same(msgid: str, msgstr: str, python_format: bool = True) -> bool:
        return placeholders(msgid, python_format=python_format) == placeholders(msgstr, python_format=python_format)

    assert same("%(n)s cases, 100%% closed", "%(n)s ärenden, 100 %% stängda")
    assert same("<strong>%(name)s</strong> and {count}", "{count} och <strong>%(name)s</strong>")
    assert not same("%(n)s cases", "ärenden")
    assert not same("%(n)s cases", "%(antal)s ärenden")
    assert not same("%s of %s", "%s av %d")
    assert not same("Due <strong>%(when)s</strong>", "Förfaller %(when)s")
    assert not same('<a href="%(url)s">Open</a>', '<a href="%(url)s" target="_blank">Öppna</a>')
    assert not same("{name} left", "{namn} lämnade", python_format=False)
    assert same("50 % of answers", "50 % av svaren", python_format=False)  # not a format string: % is text

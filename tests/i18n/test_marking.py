"""Every user-visible string is marked for translation (issue 13, point 1): a template scan and a Python scan.

Templates (Django's template Lexer, then an HTML parser over the text between the template tags): a text node with
letters outside {% translate %} / {% blocktranslate %} / {% comment %} / <script> / <style> / <code>, an attribute a
person reads (title, aria-label, placeholder, alt, data-confirm, the value of a submit button) with literal letters,
a literal `|default:"..."` and a literal passed to an `{% include ... with x="..." %}`.

Python (ast over the apps; not tests, migrations, demo): a string literal with letters given, without gettext, to a
sink a person reads: messages.*(), ValidationError(), label= / help_text= / empty_label= / verbose_name(_plural)= /
a model field's first argument, choices' labels and TextChoices/IntegerChoices labels, an HttpResponse body in a
non-API view, an API error's "detail", a plotly title, an e-mail subject.

Letters that need no translation are ignored: NPS, CSAT, CES, KPI, CSV, XLSX, PDF, API, URL, HTTP, ID(s), CX, SLA,
GDPR, SSO, "n" (sample size), numbers, symbols, template variables, e-mail addresses, URLs. Deliberate exceptions go
into marking_allowlist.txt with a reason. Each test prints every offender as file:line: text; there is one test per
area (the app or the templates folder) so each owner sees their own list.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.template.base import Lexer, TokenType

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
ALLOWLIST = Path(__file__).with_name("marking_allowlist.txt")

# The Python apps scanned (demo is seed data, tests and migrations are not the UI).
APPS = sorted(
    p.name
    for p in ROOT.iterdir()
    if p.is_dir() and (p / "__init__.py").exists() and p.name not in {"tests", "demo", "scripts", "deploy"}
)
TEMPLATE_AREAS = sorted(
    {
        p.relative_to(TEMPLATES).parts[0] if p.parent != TEMPLATES else "base"
        for p in TEMPLATES.rglob("*")
        if p.is_file()
    }
)

MARK = "\ue000"  # stands for a template variable, a template tag or translated text
NEUTRAL_TOKENS = re.compile(
    r"""
    [\w.+-]+@[\w-]+(?:\.[\w-]+)+           # e-mail addresses
    | (?:https?://|www\.)\S+               # URLs
    | \b(?:Net\ Promoter\ Score|CX\ Platform|NPS|eNPS|CSAT|CES|KPI|CSV|XLSX|XLS|PDF|API|URL|HTTPS?|IDs?|CX|SLA|
           GDPR|SSO|SAML|OIDC|JSON|HTML|UTF-8|
           ISO|TOTP|HMAC|SHA-?256|REST|SVG|PNG|n|N|p|x|×|ms|px)s?\b
    | \bv(?=\ue000|\d)                     # a version: v{{ n }}, v3
    | \b\d+(?:[.,]\d+)*\s*(?:%|‰|px|ms|s|h|d|k|M)?\b   # numbers, with units
    | &[a-z]+;                             # HTML entities
    """,
    re.VERBOSE,
)
LETTER = re.compile(r"[^\W\d_]")


def needs_translation(text: str) -> bool:
    """Whether the text still has letters once marks, brand/code tokens, numbers and addresses are removed."""
    return bool(LETTER.search(NEUTRAL_TOKENS.sub(" ", text).replace(MARK, " ")))


def shown(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace(MARK, "{…}")).strip()


@dataclass(frozen=True)
class Offender:
    path: str
    line: int
    kind: str
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: [{self.kind}] {self.text!r}"


@cache
def allowlist() -> dict[tuple[str, str], str]:
    entries = {}
    for number, raw in enumerate(ALLOWLIST.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = [p.strip() for p in line.split(" | ")]
        assert len(parts) == 3 and all(parts), f"{ALLOWLIST.name}:{number}: write `path | text | reason`, got {raw!r}"
        entries[(parts[0], parts[1])] = parts[2]
    return entries


def allowed(offender: Offender) -> bool:
    return (offender.path, offender.text) in allowlist()


def report(area: str, what: str, offenders: list[Offender]) -> None:
    offenders = sorted({o for o in offenders if not allowed(o)}, key=lambda o: (o.path, o.line, o.text))
    print(f"\n{what} not marked for translation in {area}: {len(offenders)}")
    for offender in offenders:
        print(f"  {offender}")
    assert not offenders, (
        f"{len(offenders)} {what} in {area} not marked for translation (mark them, or add a deliberate exception "
        f"with its reason to tests/i18n/{ALLOWLIST.name}):\n" + "\n".join(f"  {o}" for o in offenders)
    )


# ---------------------------------------------------------------------------------------------------------------
# Templates

READ_ATTRIBUTES = {"title", "aria-label", "aria-description", "placeholder", "alt", "data-confirm", "data-bs-title"}
BUTTON_INPUT_TYPES = {"submit", "button", "reset"}
SKIPPED_ELEMENTS = {"script", "style", "code", "kbd", "samp"}
CODE_INCLUDE_KEYS = {
    "testid",
    "size",
    "tab",
    "id",
    "name",
    "class",
    "css",
    "prefix",
    "icon",
    "url",
    "field",
    "kind",
    "variant",
    "mode",
    "style",
    "color",
    "type",
    "target",
    "key",
    "form",
    "hx_target",
    "swap",
}
# A text node that is one identifier (a CSS class or icon name given to a parent's block: "bi-shield-lock").
CODE_WORD = re.compile(r"\s*(?!e-mail)[a-z0-9]+(?:[-_][a-z0-9]+)+\s*")
LITERAL_KWARG = re.compile(r"""(\w+)=(?:"([^"]*)"|'([^']*)')""")
DEFAULT_FILTER = re.compile(r"""\|default(?:_if_none)?:(?:"([^"]*)"|'([^']*)')""")


def template_source_with_marks(source: str, path: str, offenders: list[Offender]) -> str:
    """The template with every tag, variable and translated part replaced by MARK (newlines kept, so the HTML
    parser's line numbers stay the template's); literals in `|default:` and `{% include with %}` are checked here."""
    out: list[str] = []
    skip_until: set[str] = set()
    for token in Lexer(source).tokenize():
        raw = token.contents
        newlines = "\n" * raw.count("\n")
        if skip_until:
            if token.token_type == TokenType.BLOCK and raw.split()[:1] and raw.split()[0] in skip_until:
                skip_until = set()
            out.append(MARK + newlines)
            continue
        if token.token_type == TokenType.TEXT:
            out.append(raw)
            continue
        if token.token_type == TokenType.VAR:
            # `{{ x|default:"None yet" }}` shows its literal where the variable stands: the HTML scan sees it there
            # (in a text node or a read attribute it is reported; in a class or data attribute it is not).
            literals = [m.group(1) if m.group(1) is not None else m.group(2) for m in DEFAULT_FILTER.finditer(raw)]
            out.append((MARK + " ".join(literals) + MARK if literals else MARK) + newlines)
            continue
        elif token.token_type == TokenType.BLOCK:
            name = raw.split()[0] if raw.split() else ""
            if name in {"blocktranslate", "blocktrans"}:
                skip_until = {"endblocktranslate", "endblocktrans"}
            elif name == "comment":
                skip_until = {"endcomment"}
            elif name == "include" and " with " in raw:
                for match in LITERAL_KWARG.finditer(raw.split(" with ", 1)[1]):
                    literal = match.group(2) if match.group(2) is not None else match.group(3)
                    if match.group(1) not in CODE_INCLUDE_KEYS and needs_translation(literal):
                        offenders.append(Offender(path, token.lineno, f"include {match.group(1)}=", literal))
        out.append(MARK + newlines)
    return "".join(out)


class TextScanner(HTMLParser):
    def __init__(self, path: str):
        super().__init__(convert_charrefs=True)
        self.path = path
        self.offenders: list[Offender] = []
        self.skipping: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED_ELEMENTS:
            self.skipping.append(tag)
        attributes = dict(attrs)
        line = self.getpos()[0]
        for name, value in attrs:
            if value is None:
                continue
            # A <button>'s value is sent, not shown; an <input type=submit>'s value is its label.
            readable = name in READ_ATTRIBUTES or (
                name == "value" and tag == "input" and (attributes.get("type") or "") in BUTTON_INPUT_TYPES
            )
            if readable and needs_translation(value):
                self.offenders.append(Offender(self.path, line, f"{tag} {name}=", shown(value)))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in SKIPPED_ELEMENTS:
            self.skipping.pop()

    def handle_endtag(self, tag):
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data):
        if self.skipping:
            return
        # Text between template tags that is one identifier (a CSS class or icon name given to a parent's block).
        if not needs_translation(MARK.join(part for part in data.split(MARK) if not CODE_WORD.fullmatch(part))):
            return
        # The line of the first non-blank character of the text node.
        line = self.getpos()[0] + data[: len(data) - len(data.lstrip())].count("\n")
        self.offenders.append(Offender(self.path, line, "text", shown(data)))


def scan_template(path: Path, relative: str | None = None) -> list[Offender]:
    relative = relative or str(path.relative_to(ROOT))
    offenders: list[Offender] = []
    marked = template_source_with_marks(path.read_text(encoding="utf-8"), relative, offenders)
    scanner = TextScanner(relative)
    scanner.feed(marked)
    scanner.close()
    return offenders + scanner.offenders


def templates_of(area: str) -> Iterator[Path]:
    for path in sorted(TEMPLATES.rglob("*")):
        if not path.is_file() or path.suffix not in {".html", ".txt", ".xml", ".svg"}:
            continue
        top = path.relative_to(TEMPLATES).parts[0] if path.parent != TEMPLATES else "base"
        if top == area:
            yield path


@pytest.mark.parametrize("area", TEMPLATE_AREAS)
def test_templates_mark_every_visible_string(area):
    offenders = [o for path in templates_of(area) for o in scan_template(path)]
    report(f"templates/{area}" if area != "base" else "templates/base.html", "template strings", offenders)


# ---------------------------------------------------------------------------------------------------------------
# Python

GETTEXT = {
    "_",
    "gettext",
    "gettext_lazy",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
    "gettext_noop",
    "format_lazy",
}
MESSAGE_FUNCTIONS = {"success", "info", "warning", "error", "debug"}
LABEL_KWARGS = {"label", "help_text", "empty_label", "verbose_name", "verbose_name_plural", "empty_value_display"}
PLOT_TEXT_KWARGS = {"annotation_text"}
PLOT_TITLE_KWARGS = {"title", "title_text", "xaxis_title", "yaxis_title", "legend_title_text", "hovertemplate_title"}
RESPONSE_CLASSES = {
    "HttpResponse",
    "HttpResponseBadRequest",
    "HttpResponseForbidden",
    "HttpResponseNotFound",
    "HttpResponseNotAllowed",
    "HttpResponseServerError",
}
NOT_A_VERBOSE_NAME = {"ForeignKey", "OneToOneField", "ManyToManyField", "GenericForeignKey"}
SUBJECT_FUNCTIONS = {"send_mail", "EmailMessage", "EmailMultiAlternatives", "mail_admins", "mail_managers"}


def call_name(node: ast.AST) -> str:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return f"{dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Name):
        return node.id
    return ""


def unmarked_literal(node: ast.AST | None) -> str | None:
    """The text of a string literal a person would read that is not wrapped in gettext, or None."""
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value if needs_translation(node.value) else None
    if isinstance(node, ast.JoinedStr):
        text = "".join(v.value if isinstance(v, ast.Constant) else MARK for v in node.values)
        return shown(text) if needs_translation(text) else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        return unmarked_literal(node.left) or (unmarked_literal(node.right) if isinstance(node.op, ast.Add) else None)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in {"format", "strip"}:
        return unmarked_literal(node.func.value)
    if isinstance(node, ast.IfExp):
        return unmarked_literal(node.body) or unmarked_literal(node.orelse)
    return None


def choice_labels(node: ast.AST) -> Iterator[tuple[int, str]]:
    """Unmarked labels in a literal choices list: [("value", "Label"), ...] (also grouped choices)."""
    if not isinstance(node, ast.List | ast.Tuple):
        return
    for item in node.elts:
        if isinstance(item, ast.Tuple | ast.List) and len(item.elts) == 2:
            label = item.elts[1]
            if isinstance(label, ast.List | ast.Tuple):
                yield from choice_labels(label)
            elif (text := unmarked_literal(label)) is not None:
                yield item.lineno, text


class PythonScanner(ast.NodeVisitor):
    def __init__(self, path: str, tree: ast.Module):
        self.path = path
        self.offenders: list[Offender] = []
        # API modules: their labels and help texts document the API (OpenAPI), their error messages are read.
        self.is_api = bool(re.search(r"(^|/)api/|(^|/)(api|serializers)[^/]*\.py$", path))
        self.has_plotly = any(
            (isinstance(n, ast.Import) and any(a.name.startswith("plotly") for a in n.names))
            or (isinstance(n, ast.ImportFrom) and (n.module or "").startswith("plotly"))
            for n in ast.walk(tree)
        ) or bool(re.search(r"(chart|figure)s?\.py$", path))

        # `from django.utils.translation import gettext_lazy as _lazy`: the aliases mark too.
        self.gettext = GETTEXT | {
            alias.asname
            for n in ast.walk(tree)
            if isinstance(n, ast.ImportFrom) and n.module == "django.utils.translation"
            for alias in n.names
            if alias.asname
        }

    def add(self, node: ast.AST, kind: str, text: str | None) -> None:
        if text is not None:
            self.offenders.append(Offender(self.path, node.lineno, kind, text))

    def visit_Call(self, node: ast.Call):
        name = call_name(node)
        if name in self.gettext:
            return  # marked (its arguments are the msgids)
        func = dotted(node.func)
        args = node.args
        if name in MESSAGE_FUNCTIONS and func.startswith("messages.") and len(args) >= 2:
            self.add(node, f"messages.{name}", unmarked_literal(args[1]))
        if name == "add_message" and func.startswith("messages.") and len(args) >= 3:
            self.add(node, "messages.add_message", unmarked_literal(args[2]))
        if name == "ValidationError":
            first = args[0] if args else next((k.value for k in node.keywords if k.arg == "message"), None)
            if isinstance(first, ast.Dict):
                for value in first.values:
                    self.add(value, "ValidationError", unmarked_literal(value))
            elif isinstance(first, ast.List):
                for value in first.elts:
                    self.add(value, "ValidationError", unmarked_literal(value))
            else:
                self.add(node, "ValidationError", unmarked_literal(first))
        if name in RESPONSE_CLASSES and not self.is_api:
            body = args[0] if args else next((k.value for k in node.keywords if k.arg == "content"), None)
            self.add(node, name, unmarked_literal(body))
        if name in {"Response", "JsonResponse"} and args and isinstance(args[0], ast.Dict):
            for k, v in zip(args[0].keys, args[0].values, strict=True):
                if isinstance(k, ast.Constant) and k.value in {"detail", "error", "message"}:
                    self.add(v, f"{name} {k.value}", unmarked_literal(v))
        if name in SUBJECT_FUNCTIONS:
            subject = next((k.value for k in node.keywords if k.arg == "subject"), args[0] if args else None)
            self.add(node, f"{name} subject", unmarked_literal(subject))
        if (
            isinstance(node.func, ast.Attribute)
            and dotted(node.func.value) == "models"
            and (name.endswith("Field") or name == "ForeignObject")
            and name not in NOT_A_VERBOSE_NAME
            and args
        ):
            self.add(node, f"{name} verbose name", unmarked_literal(args[0]))
        for keyword in node.keywords:
            if keyword.arg in LABEL_KWARGS | {"choices"} and self.is_api:
                continue
            if keyword.arg in LABEL_KWARGS:
                self.add(keyword.value, f"{keyword.arg}=", unmarked_literal(keyword.value))
            elif keyword.arg == "choices":
                for line, text in choice_labels(keyword.value):
                    self.offenders.append(Offender(self.path, line, "choices label", text))
            elif keyword.arg == "error_messages" and isinstance(keyword.value, ast.Dict):
                for value in keyword.value.values:
                    self.add(value, "error_messages", unmarked_literal(value))
            elif keyword.arg in PLOT_TITLE_KWARGS | PLOT_TEXT_KWARGS and self.has_plotly:
                self.add(keyword.value, f"plot {keyword.arg}=", unmarked_literal(keyword.value))
        self.generic_visit(node)

    def visit_Dict(self, node: ast.Dict):
        for k, v in zip(node.keys, node.values, strict=True):
            if not isinstance(k, ast.Constant):
                continue
            if self.has_plotly and k.value in PLOT_TITLE_KWARGS | PLOT_TEXT_KWARGS:
                self.add(v, f'plot "{k.value}":', unmarked_literal(v))
            elif k.value in READ_ATTRIBUTES:  # a widget's attrs={"placeholder": ...}
                self.add(v, f'attribute "{k.value}":', unmarked_literal(v))
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign):
        for target in node.targets:
            if isinstance(target, ast.Name) and target.id.upper().endswith("CHOICES"):
                for line, text in choice_labels(node.value):
                    self.offenders.append(Offender(self.path, line, "choices label", text))
        self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef):
        if node.name == "Meta":
            for statement in node.body:
                if isinstance(statement, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id in {"verbose_name", "verbose_name_plural"}
                    for t in statement.targets
                ):
                    self.add(statement, "Meta verbose name", unmarked_literal(statement.value))
        if any(call_name(b).endswith("Choices") for b in node.bases):
            for statement in node.body:
                if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Tuple):
                    elements = statement.value.elts
                    if len(elements) >= 2:
                        self.add(statement, "Choices label", unmarked_literal(elements[-1]))
        self.generic_visit(node)


def python_files_of(app: str) -> Iterator[Path]:
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" in path.parts or "__pycache__" in path.parts or "management" in path.parts:
            continue
        yield path


def scan_python(path: Path) -> list[Offender]:
    relative = str(path.relative_to(ROOT))
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=relative)
    scanner = PythonScanner(relative, tree)
    scanner.visit(tree)
    return scanner.offenders


@pytest.mark.parametrize("app", APPS)
def test_python_marks_every_visible_string(app):
    offenders = [o for path in python_files_of(app) for o in scan_python(path)]
    report(app, "Python strings", offenders)


# ---------------------------------------------------------------------------------------------------------------
# The scanners themselves: each sink is found, each marked form passes (so a scanner that finds nothing fails here).


def test_the_template_scanner_finds_unmarked_text_and_attributes(tmp_path):
    template = tmp_path / "probe.html"
    source = (
        '{% load i18n %}<h1>{% translate "Marked" %}</h1>\n'
        "<p>Plain words</p>\n"
        "<p>{% blocktranslate %}Marked {{ x }} too{% endblocktranslate %}</p>{# a comment #}\n"
        '{% comment %}Not shown{% endcomment %}<script>const label = "code";</script><style>a{}</style>\n'
        '<a title="Open it" aria-label="{% translate "Marked" %}" href="/x">{{ n }} NPS, 12 %</a>\n'
        '<input type="submit" value="Save"><input type="text" value="Stored value"><img alt="A chart">\n'
        '{{ value|default:"None yet" }} {{ value|default:"–" }} <span>Segment: {{ segment }}</span> CSV (UTF-8)\n'
        '<code>curl https://example.com</code> <a href="mailto:help@example.com">help@example.com</a>\n'
        '<button type="submit" name="move" value="left">{% translate "Move" %}</button>'
        "<div class=\"alert-{{ t|default:'info' }}\">{% block icon %}bi-shield-lock{% endblock %}</div>\n"
        '<nav aria-label="breadcrumb"></nav><p>n = {{ n }}, p = {{ p }}, v{{ version }}, {{ ms }} ms</p>\n'
    )
    template.write_text(source, encoding="utf-8")
    found = {(o.line, o.kind, o.text) for o in scan_template(template, "templates/probe.html")}
    assert found == {
        (2, "text", "Plain words"),
        (5, "a title=", "Open it"),
        (6, "input value=", "Save"),
        (6, "img alt=", "A chart"),
        (7, "text", "{…}None yet{…} {…}–{…}"),
        (7, "text", "Segment: {…}"),
        (10, "nav aria-label=", "breadcrumb"),
    }


def test_the_python_scanner_finds_unmarked_sinks():
    source = """
from django import forms
from django.contrib import messages
from django.db import models
from django.utils.translation import gettext as _, gettext_lazy
import plotly.graph_objects as go

class Status(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", _("Done")

class Thing(models.Model):
    name = models.CharField("name", max_length=9, help_text=gettext_lazy("Marked"))
    kind = models.CharField(max_length=9, choices=[("a", "Alpha"), ("b", _("Beta")), ("c", "CSV")])

class ThingForm(forms.Form):
    when = forms.DateField(label="When", help_text=_("Marked"))

def view(request):
    messages.success(request, "Saved.")
    messages.error(request, _("Marked."))
    messages.info(request, f"{request.user} saved")
    raise forms.ValidationError("Too long: %(n)s" % {"n": 1})

def figure():
    fig = go.Figure(layout={"title": "Trend"})
    fig.update_layout(title=_("Marked"), xaxis_title="Month")

def api(request):
    return Response({"detail": "Not yet."}, status=409)
"""
    tree = ast.parse(source)
    scanner = PythonScanner("probe/views.py", tree)
    scanner.visit(tree)
    found = {(o.line, o.kind, o.text) for o in scanner.offenders}
    assert found == {
        (9, "Choices label", "Open"),
        (13, "CharField verbose name", "name"),
        (14, "choices label", "Alpha"),
        (17, "label=", "When"),
        (20, "messages.success", "Saved."),
        (22, "messages.info", "{…} saved"),
        (23, "ValidationError", "Too long: %(n)s"),
        (26, 'plot "title":', "Trend"),
        (27, "plot xaxis_title=", "Month"),
        (30, "Response detail", "Not yet."),
    }


def test_every_allowlist_entry_has_a_reason_and_still_matches():
    stale = []
    for (path, text), _reason in allowlist().items():
        file = ROOT / path
        if not file.exists():
            stale.append(f"{path} | {text} (file gone)")
            continue
        found = scan_template(file) if file.suffix != ".py" else scan_python(file)
        if not any(o.text == text for o in found):
            stale.append(f"{path} | {text} (no longer reported: remove the entry)")
    assert not stale, "stale entries in " + ALLOWLIST.name + ":\n" + "\n".join(stale)

"""Forms of the response import: pick the survey version and the file, map the file's columns, split at a scale
change."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.scoping import OrgContext
from core.forms import BootstrapFormMixin
from imports.models import ImportJob
from imports.readers import ACCEPT_ATTRIBUTE
from imports.registry import normalize_header
from surveys.ingestion import selectors
from surveys.ingestion.importers import rules
from surveys.ingestion.importers.plan import (
    FIELD_ALIASES,
    FIELDS,
    IMPORTABLE_KINDS,
    NONE,
    ROW,
    SCORE_KIND_SET,
    normalize_mapping,
)
from surveys.ingestion.importers.scan import Scan
from surveys.ingestion.validation import option_codes
from surveys.models import Question, SurveyVersion

FIELD_LABELS = {
    "submitted_at": _("Date"),
    "customer": _("Respondent id → customer (external id)"),
    "touchpoint": _("Touchpoint of the row (id or name)"),
    "language": _("Language"),
    "channel": _("Channel"),
    "response_id": _("Response id (your own unique id; makes re-imports exact)"),
}
DATE_FORMAT_LABELS = {
    "iso": _("YYYY-MM-DD (ISO, also with a time)"),
    "dmy": _("DD.MM.YYYY or DD/MM/YYYY (day first)"),
    "mdy": _("MM/DD/YYYY (month first)"),
    "ymd": _("YYYY/MM/DD"),
}
QUESTION_PREFIX = "q:"


class VersionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: SurveyVersion) -> str:
        current = " ★" if obj.survey.current_version_id == obj.pk else ""
        return f"{obj.survey.name} · v{obj.number}{current}"


class ImportUploadForm(BootstrapFormMixin, forms.Form):
    version = VersionChoiceField(
        queryset=None,
        label=_("Survey and version"),
        help_text=_("The responses are stored as answers to this version's questions (★ = current version)."),
    )
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "CSV (comma, semicolon or tab; UTF-8 or Windows-1252) or Excel .xlsx; the first row names the columns. "
            "One row per response, or one row per respondent with many ratings: you map the columns next."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
    )

    def __init__(self, *args, ctx: OrgContext, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].queryset = selectors.import_version_choices(ctx=ctx)
        self.fields["file"].widget.attrs["data-max-bytes"] = settings.IMPORT_MAX_BYTES


def _names(header_cell: str) -> str:
    return normalize_header(header_cell)


def question_label(question: Question, language: str) -> str:
    scale = question.score_scale
    kind = f"{question.get_kind_display()}" + (f" {scale.label}" if question.kind == Question.Kind.RATING else "")
    return f"{question.code} · {kind} · {question.text_in(language)}"[:120]


class ColumnRow:
    """What the mapping page shows for one file column: its name, sample values and its fields."""

    def __init__(self, form: ImportMappingForm, index: int) -> None:
        self.index = index
        self.name = form.header[index] or f"#{index + 1}"
        self.values = form.sample.columns[index].top(6) if form.sample and index in form.sample.columns else []
        self.more_values = bool(form.sample and index in form.sample.columns and form.sample.columns[index].more)
        self.role = form[f"col_{index}"]
        self.touchpoint = form[f"col_{index}_tp"]
        self.na = form[f"col_{index}_na"]
        self.yes = form[f"col_{index}_yes"]
        self.no = form[f"col_{index}_no"]
        self.check = form.checks.get(index)


class ImportMappingForm(BootstrapFormMixin, forms.Form):
    """One row per file column: what it is (a field, an answer to a question at a touchpoint, or nothing)."""

    date_format = forms.ChoiceField(label=_("Date format"), choices=list(DATE_FORMAT_LABELS.items()))
    file_date = forms.DateField(
        label=_("One date for the whole file"),
        required=False,
        help_text=_("Used when no column holds the date."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    default_touchpoint = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Touchpoint for rows without one")
    )
    default_language = forms.ChoiceField(choices=list(settings.LANGUAGES), label=_("Language for rows without one"))
    create_customers = forms.BooleanField(
        required=False,
        label=_("Create customers that do not exist yet"),
        help_text=_("Unknown respondent ids are otherwise row errors. New customers get only their external id."),
    )

    def __init__(
        self,
        *args,
        ctx: OrgContext,
        job: ImportJob,
        version: SurveyVersion,
        sample: Scan | None = None,
        saved: dict | None = None,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.header = list(job.options.get("header", []))
        self.sample = sample
        self.checks: dict[int, dict] = {}
        language = job.organization.default_language
        self.questions = {q.code: q for q in version.questions.all() if q.kind in IMPORTABLE_KINDS}
        self.touchpoints = list(selectors.touchpoint_choices(ctx=ctx))
        roles = [("", _("— not imported"))] + [(name, FIELD_LABELS[name]) for name in FIELDS]
        answers = [(QUESTION_PREFIX + code, question_label(q, language)) for code, q in self.questions.items()]
        role_choices = [(_("The response"), roles), (_("An answer to"), answers)]
        tp_choices = [
            (ROW, _("The row's touchpoint (column or default)")),
            (NONE, _("No touchpoint (journey or relationship level)")),
        ] + [(str(tp.pk), f"{tp.journey.name} · {tp.name}") for tp in self.touchpoints]
        for i, _cell in enumerate(self.header):
            self.fields[f"col_{i}"] = forms.ChoiceField(choices=role_choices, required=False, label=_("Is"))
            self.fields[f"col_{i}_tp"] = forms.ChoiceField(choices=tp_choices, required=False, label=_("Touchpoint"))
            self.fields[f"col_{i}_na"] = forms.CharField(
                required=False, max_length=500, label=_("Not applicable codes (comma-separated)")
            )
            self.fields[f"col_{i}_yes"] = forms.CharField(required=False, max_length=500, label=_("Values meaning yes"))
            self.fields[f"col_{i}_no"] = forms.CharField(required=False, max_length=500, label=_("Values meaning no"))
        self.fields["default_touchpoint"].queryset = selectors.touchpoint_choices(ctx=ctx)
        self.today = timezone.localdate(timezone=ctx.organization.zone)
        self.saved_on = None
        self._prefill(job, saved)
        if self.is_bound:
            # The page disables the fields it hides (a column that is no answer, yes/no values of a score
            # column): what was not posted keeps its prefilled value.
            data = self.data.copy()
            for i in range(len(self.header)):
                for suffix in ("tp", "na", "yes", "no"):
                    name = f"col_{i}_{suffix}"
                    if name not in data:
                        data[name] = self.initial.get(name, "")
            self.data = data
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs.setdefault("class", "form-check-input")
                continue
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)
        self.fields["file_date"].widget.attrs["max"] = self.today.isoformat()

    # -- initial values: a saved mapping for this header, else guesses from the header and the sample ------------

    def _prefill(self, job: ImportJob, saved: dict | None) -> None:
        initial = self.initial
        initial.setdefault("default_language", job.organization.default_language)
        initial.setdefault("file_date", self.today)
        na = ", ".join(rules.NA_DEFAULTS)
        for i in range(len(self.header)):
            initial.setdefault(f"col_{i}_tp", ROW)
            initial.setdefault(f"col_{i}_na", na)
            values = [v for v, _n in self.sample.columns[i].top(20)] if self.sample and i in self.sample.columns else []
            yes, no = rules.yes_no_prefill(values)
            initial.setdefault(f"col_{i}_yes", ", ".join(yes))
            initial.setdefault(f"col_{i}_no", ", ".join(no))
        if saved and self._apply_saved(saved):
            return
        self._guess()

    def _apply_saved(self, saved: dict) -> bool:
        initial = self.initial
        saved = normalize_mapping(saved)
        for name, index in (saved.get("columns") or {}).items():
            if name in FIELDS and isinstance(index, int) and 0 <= index < len(self.header):
                initial[f"col_{index}"] = name
        for entry in saved.get("answers") or []:
            index, code = entry.get("column"), entry.get("question")
            if not (isinstance(index, int) and 0 <= index < len(self.header)) or code not in self.questions:
                continue
            initial[f"col_{index}"] = QUESTION_PREFIX + code
            initial[f"col_{index}_tp"] = str(entry.get("touchpoint") or ROW)
            initial[f"col_{index}_na"] = ", ".join(entry.get("na") or [])
            if entry.get("yes") is not None:
                initial[f"col_{index}_yes"] = ", ".join(entry.get("yes") or [])
                initial[f"col_{index}_no"] = ", ".join(entry.get("no") or [])
        for key in ("date_format", "default_language", "create_customers"):
            if saved.get(key) is not None:
                initial[key] = saved[key]
        if saved.get("default_touchpoint_id"):
            initial["default_touchpoint"] = saved["default_touchpoint_id"]
        self.saved_on = saved.get("saved_on") or ""
        self._detect_date_format(override=False)
        return True

    def _guess(self) -> None:
        initial = self.initial
        taken: set[str] = set()
        first_score = next((c for c, q in self.questions.items() if q.kind in SCORE_KIND_SET), None)
        tp_by_name = {_names(tp.name): tp for tp in self.touchpoints}
        yes_no = next((q for q in self.questions.values() if q.kind == Question.Kind.YES_NO), None)
        for i, cell in enumerate(self.header):
            name = _names(cell)
            role = next(
                (f for f in FIELDS if f not in taken and name in {_names(a) for a in (f, *FIELD_ALIASES.get(f, ()))}),
                None,
            )
            if role is None:
                for code, q in self.questions.items():
                    aliases = FIELD_ALIASES.get(q.kind, ()) if q.kind != Question.Kind.TEXT else FIELD_ALIASES["text"]
                    if code not in taken and name in {_names(a) for a in (code, *aliases)}:
                        role = QUESTION_PREFIX + code
                        break
            values = self._sample_values(i)
            if role and role.startswith(QUESTION_PREFIX) and not self._looks_like(self.questions[role[2:]], values):
                role = None
            if role is None and yes_no is not None and yes_no.code not in taken and self._looks_like(yes_no, values):
                role = QUESTION_PREFIX + yes_no.code
            if role is None and name in tp_by_name and first_score is not None:
                # A column named after a touchpoint holds that touchpoint's rating (a wide export).
                initial[f"col_{i}"] = QUESTION_PREFIX + first_score
                initial[f"col_{i}_tp"] = str(tp_by_name[name].pk)
                continue
            if role is not None:
                taken.add(role.removeprefix(QUESTION_PREFIX))
                initial[f"col_{i}"] = role
        if "submitted_at" not in taken:
            self._guess_date_column()
        self._detect_date_format(override=True)

    def _guess_date_column(self) -> None:
        """No header says "date": take the first unmapped column whose values are dates."""
        for i in range(len(self.header)):
            values = self._sample_values(i)
            if self.initial.get(f"col_{i}") or not values:
                continue
            date_format, _ambiguous = rules.detect_date_format(values)
            zone = zoneinfo.ZoneInfo("UTC")
            dates = sum(
                rules.parse_moment(rules.cell(v), month_first=date_format == "mdy", tz=zone) is not None for v in values
            )
            if dates >= 0.8 * len(values):
                self.initial[f"col_{i}"] = "submitted_at"
                return

    def _sample_values(self, index: int) -> list[str]:
        if not self.sample or index not in self.sample.columns:
            return []
        return list(self.sample.columns[index].counts)

    @staticmethod
    def _looks_like(question: Question, values: list[str]) -> bool:
        """Whether a column's first values could be answers to the question (guesses only; the user decides)."""
        if not values:
            return question.kind != Question.Kind.YES_NO
        if question.kind in SCORE_KIND_SET:
            return sum(rules.parse_score(v) is not None for v in values) >= len(values) / 2
        if question.kind == Question.Kind.YES_NO:
            yes, no = rules.yes_no_prefill(values)
            return bool(yes) and bool(no) and len(yes) + len(no) == len(values)
        return True

    def _detect_date_format(self, *, override: bool) -> None:
        self.date_column = next(
            (i for i in range(len(self.header)) if self.initial.get(f"col_{i}") == "submitted_at"), None
        )
        self.date_detected, self.date_ambiguous = "iso", False
        if self.date_column is not None and self.sample and self.date_column in self.sample.columns:
            values = list(self.sample.columns[self.date_column].counts)
            self.date_detected, self.date_ambiguous = rules.detect_date_format(values)
        if override or "date_format" not in self.initial:
            self.initial["date_format"] = self.date_detected

    @property
    def date_detected_label(self) -> str:
        return DATE_FORMAT_LABELS[self.date_detected]

    # -- validation and the mapping ----------------------------------------------------------------------------

    def columns(self) -> list[ColumnRow]:
        return [ColumnRow(self, i) for i in range(len(self.header))]

    def answer_entries(self) -> list[tuple[int, Question, tuple[str, ...], tuple[str, ...], tuple[str, ...]]]:
        """(column, question, N/A codes, yes values, no values) of the answer columns as the form stands now."""
        source = self.cleaned_data if hasattr(self, "cleaned_data") else (self.data if self.is_bound else self.initial)
        out = []
        for i in range(len(self.header)):
            role = source.get(f"col_{i}") or ""
            question = (
                self.questions.get(role.removeprefix(QUESTION_PREFIX)) if role.startswith(QUESTION_PREFIX) else None
            )
            if question is None:
                continue

            def codes(suffix: str, i: int = i) -> tuple[str, ...]:
                return rules.codes(rules.split_codes(source.get(f"col_{i}_{suffix}") or ""))

            out.append((i, question, codes("na"), codes("yes"), codes("no")))
        return out

    def attach_checks(self, scan: Scan | None) -> None:
        """What each answer column's values look like against its question (sample or whole file)."""
        if scan is None:
            return
        self.checks = {}
        for column, question, na, yes, no in self.answer_entries():
            if column in scan.columns:
                self.checks[column] = value_check(scan, column, question, na, yes, no)

    def clean(self):
        cleaned = super().clean()
        used: dict[str, int] = {}
        pairs: dict[tuple[str, str], int] = {}
        answers = 0
        for i in range(len(self.header)):
            role = cleaned.get(f"col_{i}") or ""
            if role in FIELDS:
                if role in used:
                    self.add_error(
                        f"col_{i}",
                        _("Column %(other)s is already the %(field)s.")
                        % {"other": self.header[used[role]], "field": FIELD_LABELS[role]},
                    )
                used[role] = i
            elif role.startswith(QUESTION_PREFIX):
                answers += 1
                code = role.removeprefix(QUESTION_PREFIX)
                target = cleaned.get(f"col_{i}_tp") or ROW
                if (code, target) in pairs:
                    self.add_error(
                        f"col_{i}",
                        _("Column %(other)s already holds %(code)s at this touchpoint.")
                        % {"other": self.header[pairs[(code, target)]], "code": code},
                    )
                pairs[(code, target)] = i
                question = self.questions[code]
                if question.kind == Question.Kind.YES_NO:
                    yes = set(rules.codes(rules.split_codes(cleaned.get(f"col_{i}_yes", ""))))
                    no = set(rules.codes(rules.split_codes(cleaned.get(f"col_{i}_no", ""))))
                    if not yes and not no:
                        self.add_error(f"col_{i}_yes", _("Say which values mean yes and which mean no."))
                    elif yes & no:
                        self.add_error(
                            f"col_{i}_no",
                            _("%(values)s cannot mean both yes and no.") % {"values": ", ".join(yes & no)},
                        )
        if not answers:
            raise forms.ValidationError(_("Map at least one column to a question."))
        if "submitted_at" not in used and not cleaned.get("file_date"):
            self.add_error("file_date", _("No column holds the date: give one date for the whole file."))
        if cleaned.get("file_date") and cleaned["file_date"] > self.today:
            self.add_error("file_date", _("The date is in the future."))
        return cleaned

    def mapping(self) -> dict:
        d = self.cleaned_data
        columns: dict[str, int | None] = dict.fromkeys(FIELDS)
        answers = []
        for i in range(len(self.header)):
            role = d.get(f"col_{i}") or ""
            if role in FIELDS:
                columns[role] = i
            elif role.startswith(QUESTION_PREFIX):
                code = role.removeprefix(QUESTION_PREFIX)
                target = d.get(f"col_{i}_tp") or ROW
                entry = {
                    "column": i,
                    "question": code,
                    "touchpoint": int(target) if target not in (ROW, NONE) else target,
                    "na": list(rules.codes(rules.split_codes(d.get(f"col_{i}_na", "")))),
                }
                if self.questions[code].kind == Question.Kind.YES_NO:
                    entry["yes"] = rules.split_codes(d.get(f"col_{i}_yes", ""))
                    entry["no"] = rules.split_codes(d.get(f"col_{i}_no", ""))
                answers.append(entry)
        file_date = d.get("file_date") if columns["submitted_at"] is None else None
        return {
            "format": 2,
            "columns": columns,
            "answers": answers,
            "date_format": d.get("date_format") or "iso",
            "file_date": file_date.isoformat() if file_date else None,
            "default_touchpoint_id": d["default_touchpoint"].pk if d.get("default_touchpoint") else None,
            "default_language": d.get("default_language") or "",
            "create_customers": bool(d.get("create_customers")),
        }


def value_check(
    scan: Scan, column: int, question: Question, na: tuple[str, ...], yes: tuple[str, ...], no: tuple[str, ...]
) -> dict:
    """How many cells of a column are not applicable, and which fall outside the question's scale or labels."""
    values = scan.columns[column]
    if question.kind in SCORE_KIND_SET:
        low, high = question.scale

        def fits(v: str) -> bool:
            score = rules.parse_score(v)
            return score is not None and low <= score <= high

        expected = f"{low}-{high}"
    elif question.kind == Question.Kind.YES_NO:
        labels = set(yes) | set(no)

        def fits(v: str) -> bool:
            return v.lower() in labels

        expected = _("yes/no")
    elif question.kind == Question.Kind.SINGLE_CHOICE:
        options = option_codes(question)

        def fits(v: str) -> bool:
            return v in options

        expected = ", ".join(sorted(options))
    else:
        return {
            "filled": values.filled,
            "na": 0,
            "off": 0,
            "off_values": [],
            "expected": "",
            "rows": scan.rows,
            "complete": scan.complete,
        }
    na_count = sum(n for v, n in values.counts.items() if v.lower() in na)
    off = [(v, n) for v, n in values.counts.most_common() if v.lower() not in na and not fits(v)]
    return {
        "filled": values.filled,
        "na": na_count,
        "off": sum(n for _v, n in off),
        "off_values": off[:5],
        "expected": expected,
        "rows": scan.rows,
        "complete": scan.complete,
    }


class ImportSplitForm(BootstrapFormMixin, forms.Form):
    """Two versions for one file whose scale changed: rows before the date into one, from the date into the other."""

    split_on = forms.DateField(label=_("Split on"), widget=forms.DateInput(attrs={"type": "date"}))
    before_version = VersionChoiceField(queryset=None, label=_("Rows before that day into"))
    after_version = VersionChoiceField(queryset=None, label=_("Rows from that day on into"))

    def __init__(self, *args, ctx: OrgContext, check: dict, mapping: dict, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = selectors.import_version_choices(ctx=ctx).prefetch_related("questions")
        self.fields["before_version"].queryset = choices
        self.fields["after_version"].queryset = choices
        self.check = check
        self.mapping = mapping
        self.initial.setdefault("split_on", check.get("split_on"))
        suggested = check.get("suggested") or {}
        self.initial.setdefault("before_version", suggested.get("before"))
        self.initial.setdefault("after_version", suggested.get("after"))

    def _fits(self, version: SurveyVersion, low_high: dict[int, tuple[int, int]], field: str) -> None:
        questions = {q.code: q for q in version.questions.all()}
        for entry in self.mapping.get("answers") or []:
            question = questions.get(entry.get("question"))
            if question is None or question.kind not in IMPORTABLE_KINDS:
                self.add_error(field, _("This version has no question %(code)s.") % {"code": entry.get("question")})
                continue
            seen = low_high.get(entry["column"])
            if seen is None or question.kind not in SCORE_KIND_SET:
                continue
            low, high = question.scale
            if seen[0] < low or seen[1] > high:
                self.add_error(
                    field,
                    _(
                        "Its question %(code)s has the scale %(low)s-%(high)s, "
                        "but the values run from %(min)s to %(max)s."
                    )
                    % {"code": question.code, "low": low, "high": high, "min": seen[0], "max": seen[1]},
                )

    def clean(self):
        cleaned = super().clean()
        split_on, before, after = cleaned.get("split_on"), cleaned.get("before_version"), cleaned.get("after_version")
        if split_on is None or before is None or after is None:
            return cleaned
        if before == after:
            raise forms.ValidationError(_("Choose two different versions: one scale each."))
        self._fits(before, self.value_range(split_on, before=True), "before_version")
        self._fits(after, self.value_range(split_on, before=False), "after_version")
        scales_before = {q.code: q.scale for q in before.questions.all()}
        scales_after = {q.code: q.scale for q in after.questions.all()}
        for switch in self.check.get("switches") or []:
            entry = next((a for a in self.mapping.get("answers") or [] if a.get("column") == switch["column"]), None)
            code = entry and entry.get("question")
            if code and scales_before.get(code) is not None and scales_before.get(code) == scales_after.get(code):
                self.add_error(
                    None,
                    _("%(code)s has the same scale in both versions: the split would not separate the two scales.")
                    % {"code": code},
                )
        return cleaned

    def value_range(self, split_on: dt.date, *, before: bool) -> dict[int, tuple[int, int]]:
        """Lowest and highest value of each score column on one side of the split (from the whole-file scan)."""
        out: dict[int, tuple[int, int]] = {}
        key = split_on.isoformat()
        for column, days in (self.check.get("ranges") or {}).items():
            side = [(low, high) for day, low, high in days if (day < key) == before]
            if side:
                out[int(column)] = (min(lo for lo, _hi in side), max(hi for _lo, hi in side))
        return out

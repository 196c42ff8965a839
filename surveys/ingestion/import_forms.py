"""Forms of the response import: pick the survey version and the file, then map the file's columns."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.scoping import OrgContext
from cxplatform.forms import BootstrapFormMixin
from imports.models import ImportJob
from imports.readers import ACCEPT_ATTRIBUTE
from imports.registry import normalize_header
from surveys.ingestion import selectors
from surveys.ingestion.importer import FIELD_ALIASES, IMPORTABLE_KINDS
from surveys.models import SurveyVersion


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
        help_text=_("CSV (UTF-8 preferred) or Excel .xlsx; the first row names the columns. You map them next."),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
    )

    def __init__(self, *args, ctx: OrgContext, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].queryset = selectors.import_version_choices(ctx=ctx)
        self.fields["file"].widget.attrs["data-max-bytes"] = settings.IMPORT_MAX_BYTES


def _guess(header: list[str], names: tuple[str, ...]) -> int | None:
    wanted = {normalize_header(n) for n in names}
    for index, cell in enumerate(header):
        if normalize_header(cell) in wanted:
            return index
    return None


class ImportMappingForm(BootstrapFormMixin, forms.Form):
    """One select per target field listing the file's columns; question fields are named `q_<code>`."""

    FIELDS = (
        ("submitted_at", _("Date (YYYY-MM-DD or DD.MM.YYYY, optional time)"), True),
        ("touchpoint", _("Touchpoint (id or name)"), False),
        ("customer", _("Customer external id"), False),
        ("language", _("Language"), False),
        ("channel", _("Channel"), False),
        ("response_id", _("Response id (your own unique id; makes re-imports exact)"), False),
    )

    def __init__(self, *args, ctx: OrgContext, job: ImportJob, version: SurveyVersion, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        header = list(job.options.get("header", []))
        self.header = header
        choices = [("", "—")] + [(str(i), cell or f"#{i + 1}") for i, cell in enumerate(header)]
        for name, label, required in self.FIELDS:
            self.fields[name] = forms.TypedChoiceField(
                label=label, choices=choices, required=required, coerce=int, empty_value=None
            )
            self.initial.setdefault(name, _guess(header, (name, *FIELD_ALIASES.get(name, ()))))
        self.question_fields: list[tuple[str, object]] = []
        for question in version.questions.all():
            if question.kind not in IMPORTABLE_KINDS:
                continue
            field_name = f"q_{question.code}"
            text = question.text_in(job.organization.default_language)
            label = f"{question.code} · {question.get_kind_display()} · {text}"
            self.fields[field_name] = forms.TypedChoiceField(
                label=label[:120],
                choices=choices,
                required=question.required and question.follow_up_for_id is None,
                coerce=int,
                empty_value=None,
            )
            aliases = FIELD_ALIASES.get(question.kind, ()) if question.kind != "text" else ("comment", "verbatim")
            self.initial.setdefault(field_name, _guess(header, (question.code, *aliases)))
            self.question_fields.append((field_name, question))
        self.fields["default_touchpoint"] = forms.ModelChoiceField(
            queryset=selectors.touchpoint_choices(ctx=ctx),
            required=False,
            label=_("Touchpoint for rows without one"),
        )
        self.fields["default_language"] = forms.ChoiceField(
            choices=list(settings.LANGUAGES),
            initial=job.organization.default_language,
            label=_("Language for rows without one"),
        )
        # BootstrapFormMixin styled the declared fields only; these were added afterwards.
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)

    def clean(self):
        cleaned = super().clean()
        used: dict[int, str] = {}
        for name, value in list(cleaned.items()):
            if isinstance(value, int) and not isinstance(value, bool) and name not in ("default_touchpoint",):
                if value in used:
                    self.add_error(name, _("This column is already used for %(other)s.") % {"other": used[value]})
                used[value] = name
        if not any(cleaned.get(name) is not None for name, _q in self.question_fields):
            raise forms.ValidationError(_("Map at least one question to a column."))
        return cleaned

    def mapping(self) -> dict:
        d = self.cleaned_data
        return {
            "columns": {name: d.get(name) for name, _label, _req in self.FIELDS},
            "answers": {q.code: d[name] for name, q in self.question_fields if d.get(name) is not None},
            "default_touchpoint_id": d["default_touchpoint"].pk if d.get("default_touchpoint") else None,
            "default_language": d.get("default_language") or "",
        }

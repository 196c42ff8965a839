from __future__ import annotations

from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapFormMixin
from imports.readers import ACCEPT_ATTRIBUTE
from imports.registry import ColumnMapping, ImportHandler, ImportMappingError, Option, available_kinds

IGNORE = ""


class ImportUploadForm(BootstrapFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("What to import"), choices=())
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (comma or semicolon separated, UTF-8 preferred) or Excel .xlsx; the first row is the header."),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = available_kinds()
        # Changing the kind swaps in that kind's column help without a page load.
        self.fields["kind"].widget.attrs.update(
            {
                "hx-get": reverse("imports:job_create"),
                "hx-trigger": "change",
                "hx-target": "#kind-help",
                "hx-select": "#kind-help",
                "hx-swap": "outerHTML",
            }
        )
        # imports.js warns before a too-large upload starts; the server checks again.
        self.fields["file"].widget.attrs["data-max-bytes"] = settings.IMPORT_MAX_BYTES


class ImportMappingForm(forms.Form):
    """One select per file column (a field of the import kind, or ignore) and the kind's file-wide options.

    The fields depend on the file, so they get their Bootstrap classes here (BootstrapFormMixin styles only the
    fields a form class declares)."""

    def __init__(
        self,
        *args,
        handler: ImportHandler,
        header: list[str],
        fields: list[str | None],
        options: dict | None = None,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.handler = handler
        self.header = header
        choices = [(IGNORE, _("— ignore this column —"))] + [
            (c.name, f"{c.display} *" if c.required else c.display) for c in handler.columns
        ]
        for i, cell in enumerate(header):
            field = forms.ChoiceField(label=cell or _("(no name)"), choices=choices, required=False)
            field.widget.attrs.update({"data-column": str(i), "class": "form-select form-select-sm"})
            self.fields[self.column_key(i)] = field
            self.initial.setdefault(self.column_key(i), fields[i] if i < len(fields) and fields[i] else IGNORE)
        for option in handler.options:
            if option.kind == Option.BOOL:
                field = forms.BooleanField(label=option.label, help_text=option.help, required=False)
            elif option.kind == Option.MONTH:
                field = forms.CharField(
                    label=option.label,
                    help_text=option.help,
                    required=False,
                    widget=forms.TextInput(attrs={"type": "month", "placeholder": _("YYYY-MM")}),
                )
            else:
                field = forms.DateField(
                    label=option.label,
                    help_text=option.help,
                    required=False,
                    widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                )
            field.widget.attrs["class"] = "form-check-input" if option.kind == Option.BOOL else "form-control"
            self.fields[self.option_key(option.name)] = field
            value = (options or {}).get(option.name)
            if value not in (None, ""):
                self.initial.setdefault(
                    self.option_key(option.name), value[:7] if option.kind == Option.MONTH else value
                )
        self.mapping_result: ColumnMapping | None = None

    @staticmethod
    def column_key(index: int) -> str:
        return f"column_{index}"

    @staticmethod
    def option_key(name: str) -> str:
        return f"option_{name}"

    def column_fields(self):
        """(header cell, bound select) per file column, in file order."""
        return [(cell, self[self.column_key(i)]) for i, cell in enumerate(self.header)]

    def option_fields(self):
        return [self[self.option_key(o.name)] for o in self.handler.options]

    def clean(self):
        cleaned = super().clean()
        fields = [cleaned.get(self.column_key(i)) or None for i in range(len(self.header))]
        raw_options = {o.name: cleaned.get(self.option_key(o.name)) for o in self.handler.options}
        try:
            self.mapping_result = self.handler.validate_mapping(self.header, fields, raw_options)
        except ImportMappingError as exc:
            for problem in exc.problems:
                self.add_error(None, problem)
        return cleaned

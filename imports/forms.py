from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cxplatform.forms import BootstrapFormMixin
from imports.readers import ACCEPT_ATTRIBUTE
from imports.registry import available_kinds


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

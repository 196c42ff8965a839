"""The form that sends a "you said, we did" message: one text per language its customers read, and a re-survey."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapFormMixin
from program.updates.audience import language_label
from program.updates.messages import MESSAGE_MAX_LENGTH
from program.updates.services import MAX_RESURVEY_DAYS


def message_field_name(language: str) -> str:
    return f"message_{language}"


class CustomerUpdateForm(BootstrapFormMixin, forms.Form):
    resurvey_after_days = forms.IntegerField(
        label=_("Re-survey after (days)"),
        required=False,
        min_value=1,
        max_value=MAX_RESURVEY_DAYS,
        help_text=_(
            "Invite them to the same survey again this many days after the message reached them, to see whether "
            "they are happier now. On that day the contact rules decide (consent, quarantine). Leave it empty for no "
            "re-survey."
        ),
    )

    def __init__(self, *args, languages: list[str], defaults: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.languages = languages
        fields = {}
        for code in languages:
            fields[message_field_name(code)] = forms.CharField(
                label=_("Message in %(language)s") % {"language": language_label(code)},
                initial=defaults.get(code, ""),
                max_length=MESSAGE_MAX_LENGTH,
                widget=forms.Textarea(attrs={"rows": 4, "class": "form-control", "lang": code}),
            )
        # The messages first, the re-survey last.
        self.fields = {**fields, "resurvey_after_days": self.fields["resurvey_after_days"]}

    def messages(self) -> dict[str, str]:
        return {code: self.cleaned_data[message_field_name(code)] for code in self.languages}

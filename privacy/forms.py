"""Forms of the privacy pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from privacy.models import ConsentEvent, RetentionPolicy


class FindForm(forms.Form):
    q = forms.CharField(
        label=_("Customer id, e-mail or phone"),
        max_length=200,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )


class EraseForm(forms.Form):
    """The administrator types the customer's external id: erasing the wrong person cannot be undone."""

    confirm = forms.CharField(
        label=_("Type the customer's external id to confirm"),
        max_length=200,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )

    def __init__(self, *args, expected: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.expected = expected

    def clean_confirm(self) -> str:
        value = self.cleaned_data["confirm"].strip()
        if value != self.expected:
            raise forms.ValidationError(_("That is not this customer's external id."))
        return value


class RetentionPolicyForm(forms.ModelForm):
    class Meta:
        model = RetentionPolicy
        fields = list(RetentionPolicy.MONTH_FIELDS)
        widgets = {
            name: forms.NumberInput(attrs={"class": "form-control", "min": 1, "max": 240, "placeholder": "—"})
            for name in RetentionPolicy.MONTH_FIELDS
        }

    def clean(self):
        cleaned = super().clean()
        for name in RetentionPolicy.MONTH_FIELDS:
            value = cleaned.get(name)
            if value is not None and not 1 <= value <= 240:
                self.add_error(name, _("Give 1 to 240 months, or leave empty to keep."))
        return cleaned


class ConsentForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Consent"), choices=ConsentEvent.Kind.choices, widget=forms.Select(attrs={"class": "form-select"})
    )
    granted = forms.TypedChoiceField(
        label=_("Now"),
        choices=[("1", _("granted")), ("0", _("withdrawn"))],
        coerce=lambda v: v == "1",
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    source = forms.CharField(
        label=_("How the customer told us"),
        max_length=80,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": _("phone call, letter, ...")}),
    )

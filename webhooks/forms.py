from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapFormMixin
from webhooks.models import TEST_EVENT, EventType, WebhookDelivery


class EndpointForm(BootstrapFormMixin, forms.Form):
    """Input of an endpoint; the URL and events are checked by webhooks.services (errors come back per field)."""

    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Where the events are POSTed. It must use https and resolve to public internet addresses."),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    include_personal_data = forms.BooleanField(
        label=_("Include personal data"),
        required=False,
        help_text=_("Send comments, case resolutions and customer ids. Off: scores and ids of objects only."),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)


SMALL_SELECT = forms.Select(attrs={"class": "form-select form-select-sm"})


class DeliveryFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("Any status")), *WebhookDelivery.Status.choices],
        required=False,
        widget=SMALL_SELECT,
    )
    event = forms.ChoiceField(
        label=_("Event"),
        choices=[("", _("Any event")), *EventType.choices, (TEST_EVENT, _("Test event"))],
        required=False,
        widget=SMALL_SELECT,
    )

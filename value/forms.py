"""The value page's form: what the key drivers explain (the outcome) and the smallest effect called a driver."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapFormMixin
from core.scales import metric_label, scale_for_metric
from value.models import ValueSettings


class DriverSettingsForm(BootstrapFormMixin, forms.Form):
    driver_outcome = forms.ChoiceField(
        label=_("Outcome the key drivers explain"),
        help_text=_(
            "Automatic: the relationship survey's primary metric, else the journey survey's, else a question asked "
            "outside touchpoints. Churn: whether the customer left in the period."
        ),
    )
    driver_min_effect = forms.FloatField(
        label=_("Minimum practical effect (|r|)"),
        required=False,
        min_value=0.0,
        max_value=0.99,
        widget=forms.NumberInput(attrs={"step": "0.01"}),
    )

    def __init__(self, *args, outcome_metrics: list[tuple[str, str]], current: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["driver_min_effect"].help_text = _(
            "A correlation smaller than this is negligible and never called a driver. Empty: %(default)s."
        ) % {"default": getattr(settings, "VALUE_DRIVER_MIN_EFFECT", 0.1)}
        choices = [
            (ValueSettings.AUTO, _("Automatic")),
            (ValueSettings.CHURN, _("Churn (left in the period)")),
            *outcome_metrics,
        ]
        known = {key for key, _label in choices}
        if current and current not in known and scale_for_metric(current) is not None:
            # A stored choice whose question has gone stays selectable, so saving the form does not change it.
            choices.append((current, metric_label(current)))
        self.fields["driver_outcome"].choices = choices

    @classmethod
    def for_row(cls, row: ValueSettings, *, outcome_metrics: list[tuple[str, str]], data=None) -> DriverSettingsForm:
        initial = {"driver_outcome": row.driver_outcome, "driver_min_effect": row.driver_min_effect}
        return cls(data=data, initial=initial, outcome_metrics=outcome_metrics, current=row.driver_outcome)

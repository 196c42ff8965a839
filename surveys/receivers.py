"""Receivers of other apps' signals, connected in SurveysConfig.ready()."""

from __future__ import annotations

from surveys.builder.selectors import metric_question_texts


def on_metric_texts_requested(sender, organization, **kwargs) -> dict[str, str]:
    """accounts' metric pickers offer the metric keys of the organization's questions."""
    return metric_question_texts(organization=organization)

"""Receivers connected in ActionsConfig.ready()."""

from __future__ import annotations


def evaluate_alert_rules(sender, response, **kwargs) -> None:
    """surveys.signals.response_processed: open the case this response calls for (idempotent)."""
    from actions.services.rules import alert_rules_evaluate

    alert_rules_evaluate(response=response)

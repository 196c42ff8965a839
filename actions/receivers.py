"""Receivers connected in ActionsConfig.ready()."""

from __future__ import annotations


def evaluate_alert_rules(sender, response_ids, organization_ids=None, **kwargs) -> None:
    """surveys.signals.responses_processed: open the cases a processed batch calls for (idempotent)."""
    from actions.services.rules import alert_rules_evaluate_batch

    alert_rules_evaluate_batch(response_ids=response_ids, organization_ids=organization_ids)

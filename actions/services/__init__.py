"""Writes of the closed loop, one module per concern (cases, rules, notifications, escalation, improvements)."""

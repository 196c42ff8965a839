"""Reads of the closed loop, always through an OrgContext (cases, config, analytics, improvements)."""

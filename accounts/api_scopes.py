"""API scopes: one per API area, so that a key can be limited to the areas an integration needs.

A view's area is the label of the app its class is defined in (journeys.api -> "journeys",
surveys.ingestion.api -> "surveys"), or its `api_scope` attribute when it sets one. The check lives in one place,
accounts.api_auth.HasOrganization, the default permission of every endpoint: no view needs to know about scopes.
"""

from __future__ import annotations

from django.apps import apps
from django.utils.translation import gettext_lazy as _

SCOPES: dict[str, object] = {
    "journeys": _("Journeys, stages, touchpoints and personas"),
    "customers": _("Customers"),
    "imports": _("Imports"),
    "surveys": _("Survey events and responses"),
    "kpis": _("KPIs, targets, benchmarks and rollups"),
    "value": _("Revenue, churn and the value model"),
    "actions": _("Feedback cases and improvement actions"),
    "reports": _("Monthly reports"),
    "audit": _("Audit log"),
    "privacy": _("Privacy requests"),
    "webhooks": _("Webhooks"),
    "voice": _("Voice of the customer: themes, comments and theme statistics"),
    "program": _("Program health, perception gap, compound failures and customer updates"),
}


def scope_choices() -> list[tuple[str, object]]:
    return list(SCOPES.items())


def scope_for_view(view) -> str | None:
    """The API area of a DRF view (instance or class): its `api_scope`, else its module's app label (None when in no
    app)."""
    explicit = getattr(view, "api_scope", None)
    if explicit:
        return explicit
    cls = view if isinstance(view, type) else type(view)
    config = apps.get_containing_app_config(cls.__module__)
    return config.label if config is not None else None


def clean_scopes(scopes) -> list[str]:
    """Known scopes in the catalogue's order; ValueError naming unknown ones."""
    wanted = {str(s).strip() for s in scopes or [] if str(s).strip()}
    unknown = wanted - set(SCOPES)
    if unknown:
        raise ValueError(f"unknown API scopes: {sorted(unknown)}")
    return [s for s in SCOPES if s in wanted]

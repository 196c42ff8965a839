"""The audit log's verbs: a dotted `<object>.<verb>` per event, with the label the audit page shows.

Other apps may record verbs not listed here (the page then shows the code itself); list them here when they settle
so the page can offer them in its filter. Filtering by a prefix ("customer.") matches every verb of that object.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

# Reads of personal data (recorded by audit.middleware from audit.registry).
CUSTOMER_VIEW = "customer.view"
CUSTOMER_LIST = "customer.list"
RESPONSE_VIEW = "response.view"
RESPONSE_LIST = "response.list"
RESPONSES_EXPORT = "responses.export"
CASE_VIEW = "case.view"
CASE_LIST = "case.list"
IMPORT_ERRORS_DOWNLOAD = "import.errors_download"

# Changes to the program's rules (recorded by the services that make them).
TARGET_CREATE = "kpi_target.create"
TARGET_CHANGE = "kpi_target.change"
TARGET_DELETE = "kpi_target.delete"
ALERT_RULE_CREATE = "alert_rule.create"
ALERT_RULE_CHANGE = "alert_rule.change"
ALERT_RULE_DELETE = "alert_rule.delete"
CALENDAR_CHANGE = "business_calendar.change"
HOLIDAY_ADD = "holiday.add"
HOLIDAY_DELETE = "holiday.delete"
TOUCHPOINT_WEIGHT_CHANGE = "touchpoint.weight_change"
JOURNEY_SCORE_METHOD_CHANGE = "journey.score_method_change"
THEME_CREATE = "theme.create"
THEME_CHANGE = "theme.change"
THEME_ARCHIVE = "theme.archive"
THEME_PROPOSAL_ACCEPT = "theme_proposal.accept"
THEME_PROPOSAL_MERGE = "theme_proposal.merge"
THEME_PROPOSAL_REJECT = "theme_proposal.reject"
THEME_DISCOVERY_START = "theme_discovery.start"
PROGRAM_SETTINGS_CHANGE = "program.settings_change"
PERCEPTION_SURVEY_CREATE = "perception_survey.create"
HEALTH_RECOMPUTE = "program_health.recompute"
CUSTOMER_UPDATE_SEND = "customer_update.send"

# The audit log itself.
AUDIT_EXPORT = "audit.export"

LABELS: dict[str, str] = {
    CUSTOMER_VIEW: _("Viewed a customer"),
    CUSTOMER_LIST: _("Listed or searched customers"),
    RESPONSE_VIEW: _("Viewed a response"),
    RESPONSE_LIST: _("Listed responses"),
    RESPONSES_EXPORT: _("Exported responses"),
    CASE_VIEW: _("Viewed a case"),
    CASE_LIST: _("Listed cases"),
    IMPORT_ERRORS_DOWNLOAD: _("Downloaded an import's error report"),
    TARGET_CREATE: _("Created a KPI target"),
    TARGET_CHANGE: _("Changed a KPI target"),
    TARGET_DELETE: _("Deleted a KPI target"),
    ALERT_RULE_CREATE: _("Created an alert rule"),
    ALERT_RULE_CHANGE: _("Changed an alert rule"),
    ALERT_RULE_DELETE: _("Deleted an alert rule"),
    THEME_CREATE: _("Created a theme"),
    THEME_CHANGE: _("Changed a theme"),
    THEME_ARCHIVE: _("Archived a theme"),
    THEME_PROPOSAL_ACCEPT: _("Accepted a proposed theme"),
    THEME_PROPOSAL_MERGE: _("Merged a proposed theme into a theme"),
    THEME_PROPOSAL_REJECT: _("Rejected a proposed theme"),
    THEME_DISCOVERY_START: _("Started theme discovery"),
    PROGRAM_SETTINGS_CHANGE: _("Changed the program owner or steering group"),
    PERCEPTION_SURVEY_CREATE: _("Created a perception survey"),
    HEALTH_RECOMPUTE: _("Recomputed the program's health"),
    CUSTOMER_UPDATE_SEND: _("Told customers what changed"),
    CALENDAR_CHANGE: _("Changed the business calendar"),
    HOLIDAY_ADD: _("Added a holiday"),
    HOLIDAY_DELETE: _("Deleted a holiday"),
    TOUCHPOINT_WEIGHT_CHANGE: _("Changed a touchpoint's score weight"),
    JOURNEY_SCORE_METHOD_CHANGE: _("Changed a journey's score method"),
    AUDIT_EXPORT: _("Exported the audit log"),
    # Recorded by the accounts, privacy and webhooks apps.
    "member.add": _("Added a member"),
    "member.role_change": _("Changed a member's role"),
    "member.remove": _("Removed a member"),
    "api_key.create": _("Created an API key"),
    "api_key.revoke": _("Revoked an API key"),
    "login.failed": _("Failed sign-in"),
    "login.locked": _("Sign-in locked"),
    "login.sso": _("Signed in with single sign-on"),
    "login.sso_failed": _("Failed single sign-on"),
    "sso.config_change": _("Changed single sign-on"),
    "organization.two_factor_policy": _("Changed the two-factor policy"),
    "two_factor.enroll": _("Set up two-factor sign-in"),
    "two_factor.recovery_codes": _("Made new recovery codes"),
    "two_factor.reset": _("Reset a member's two-factor sign-in"),
    "two_factor.disable": _("Turned off two-factor sign-in"),
    "privacy.consent_change": _("Changed a customer's consent"),
    "privacy.export": _("Exported a customer's personal data"),
    "privacy.erase": _("Erased a customer"),
    "privacy.retention_change": _("Changed the retention policy"),
    "privacy.retention_run_request": _("Asked for the retention policy to be applied now"),
    "privacy.retention_run": _("Applied the retention policy"),
    "webhook.create": _("Created a webhook"),
    "webhook.update": _("Changed a webhook"),
    "webhook.delete": _("Deleted a webhook"),
    "webhook.disable": _("Disabled a webhook"),
    "webhook.rotate_secret": _("Rotated a webhook's secret"),
    "webhook.secret_view": _("Viewed a webhook's secret"),
}


def action_label(code: str) -> str:
    return str(LABELS.get(code, code))


# Object types offered by the audit page's filter (any other type is still recorded, shown and filterable by code).
OBJECT_TYPES = (
    "customers.customer",
    "surveys.response",
    "actions.feedbackcase",
    "imports.importjob",
    "kpis.target",
    "actions.alertrule",
    "actions.businesscalendar",
    "actions.holiday",
    "journeys.journey",
    "journeys.touchpoint",
    "accounts.membership",
    "accounts.apikey",
    "accounts.organization",
    "auth.user",
    "privacy.retentionpolicy",
    "webhooks.webhookendpoint",
    "audit.auditevent",
)


# What the page calls them (a model's own verbose name is often Django's English default: "api key").
OBJECT_TYPE_LABELS = {
    "customers.customer": _("Customer"),
    "surveys.response": _("Response"),
    "actions.feedbackcase": _("Case"),
    "imports.importjob": _("Import"),
    "kpis.target": _("Target"),
    "actions.alertrule": _("Alert rule"),
    "actions.businesscalendar": _("Business hours"),
    "actions.holiday": _("Holiday"),
    "journeys.journey": _("Journey"),
    "journeys.touchpoint": _("Touchpoint"),
    "accounts.membership": _("Member"),
    "accounts.apikey": _("API key"),
    "accounts.organization": _("Organization"),
    "auth.user": _("User"),
    "privacy.retentionpolicy": _("Retention policy"),
    "webhooks.webhookendpoint": _("Webhook endpoint"),
    "audit.auditevent": _("Audit log"),
    "privacy.retentionrun": _("Retention run"),
}

# Labels some writers make from the object's type and id, in English, kept as written in the append-only row
# ("retention policy", "retention run 12", "webhook endpoint 3"): the page names the type in the reader's language
# instead (the id follows it as "#12").
GENERATED_LABEL = re.compile(r"retention policy(?: of \d+)?|retention run \d+|webhook endpoint \d+", re.IGNORECASE)


def target_label(target_type: str, label: str) -> str:
    """The object's label as the audit page shows it."""
    if target_type and label and GENERATED_LABEL.fullmatch(label):
        return object_type_label(target_type)
    return label


def object_type_label(code: str) -> str:
    from django.apps import apps
    from django.utils.text import capfirst

    if code in OBJECT_TYPE_LABELS:
        return str(OBJECT_TYPE_LABELS[code])
    try:
        return str(capfirst(apps.get_model(code)._meta.verbose_name))
    except (LookupError, ValueError):
        return code

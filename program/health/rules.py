"""Every threshold, window and weight of the program's health, in one place (no Django models here).

A criterion is met when its value reaches its threshold (`share` and `count`: value >= threshold; `amount`: value >
threshold; `flag`: value == 1). A stage is reached when the share of its applicable criteria that are met is at least
`STAGE_REACHED_SCORE` and every earlier stage is reached; the program is in the first stage not reached.

`weight` says how much meeting the criterion does for the program; the next steps are the unmet criteria ranked by
stage order, then by weight x distance to the threshold (`decision.next_steps`).
"""

from __future__ import annotations

from dataclasses import dataclass

STAGES = ("engagement", "insight", "action", "integration")
STAGE_REACHED_SCORE = 0.7
NEXT_STEPS = 3
HISTORY_MONTHS = 12  # months backfilled when an organization has no snapshot yet, and shown on the page

# Windows, in days, ending at the as-of date (inclusive).
RECENT_DAYS = 90  # "the last 90 days"
YEAR_DAYS = 365  # "the last 12 months"
HALF_YEAR_DAYS = 183  # "the last 6 months"
QUARTER_DAYS = 92  # "the last 3 months"
BENCHMARK_MAX_AGE_DAYS = 365  # a benchmark whose period ended longer ago than this no longer counts

# Thresholds.
SURVEY_COVERAGE_MIN = 0.70
RESPONSE_RATE_MIN = 0.20
TOUCHPOINT_OWNERS_MIN = 0.80
JOURNEYS_MAPPED_MIN = 1.0  # every active journey, and at least one
STEERING_GROUP_MIN = 2
TARGETS_MIN = 0.70
BENCHMARKS_MIN = 0.50
VALUE_MODEL_MIN_SUPPORTED = 1
KEY_DRIVERS_MIN = 1
THEMES_COVERAGE_MIN = 0.60
PERCEPTION_RESPONSES_MIN = 3
DETRACTOR_CASES_MIN = 0.80
CASE_SLA_MIN = 0.80
ROOT_CAUSES_MIN = 0.80
IMPROVEMENT_ACTIONS_MIN = 1
ACTIONS_ON_TIME_MIN = 0.70
COMPENSATION_TARGETS_MIN = 1
IMPACT_MEASURED_MIN = 0.60
REALISED_VALUE_ABOVE = 0.0
REPORTS_READ_MIN = 0.50
OPERATIONAL_KPIS_MIN = 1

DETRACTOR_MAX_SCORE = 6  # NPS 0-6


@dataclass(frozen=True)
class Rule:
    code: str
    stage: str
    kind: str  # share (0-1) | count | amount (money) | flag (1 = met)
    threshold: float
    weight: float
    url_name: str  # where it is fixed (a URL name without arguments)
    # The data have no history: every month is assessed on today's state (the page says so once).
    today_only: bool = False


RULES: tuple[Rule, ...] = (
    Rule("survey_coverage", "engagement", "share", SURVEY_COVERAGE_MIN, 3, "surveys:survey_list"),
    Rule("response_rate", "engagement", "share", RESPONSE_RATE_MIN, 1, "surveys:survey_list"),
    Rule("touchpoint_owners", "engagement", "share", TOUCHPOINT_OWNERS_MIN, 2, "journeys:journey_list", True),
    Rule("journeys_mapped", "engagement", "share", JOURNEYS_MAPPED_MIN, 2, "journeys:journey_list", True),
    Rule("program_owner", "engagement", "flag", 1, 3, "program:settings", True),
    Rule("targets", "insight", "share", TARGETS_MIN, 3, "kpis:kpi_list"),
    Rule("benchmarks", "insight", "share", BENCHMARKS_MIN, 1, "kpis:kpi_list"),
    Rule("value_model", "insight", "count", VALUE_MODEL_MIN_SUPPORTED, 2, "value:dashboard"),
    Rule("key_drivers", "insight", "count", KEY_DRIVERS_MIN, 2, "value:dashboard"),
    Rule("themes_coverage", "insight", "share", THEMES_COVERAGE_MIN, 1, "voice:taxonomy"),
    Rule("perception_gap", "insight", "count", PERCEPTION_RESPONSES_MIN, 1, "program:perception_list"),
    Rule("detractor_followup", "action", "share", DETRACTOR_CASES_MIN, 3, "actions:rule_list"),
    Rule("case_sla", "action", "share", CASE_SLA_MIN, 2, "actions:inbox"),
    Rule("root_causes", "action", "share", ROOT_CAUSES_MIN, 2, "actions:inbox"),
    Rule("improvement_actions", "action", "count", IMPROVEMENT_ACTIONS_MIN, 3, "actions:board"),
    Rule("actions_on_time", "action", "share", ACTIONS_ON_TIME_MIN, 1, "actions:roadmap"),
    Rule("compensation", "integration", "count", COMPENSATION_TARGETS_MIN, 2, "kpis:kpi_list"),
    Rule("impact_measured", "integration", "share", IMPACT_MEASURED_MIN, 2, "actions:board"),
    Rule("realised_value", "integration", "amount", REALISED_VALUE_ABOVE, 3, "actions:wins"),
    Rule("reports_read", "integration", "share", REPORTS_READ_MIN, 1, "reports:archive"),
    Rule("operational_kpis", "integration", "count", OPERATIONAL_KPIS_MIN, 1, "imports:job_list"),
)
RULES_BY_CODE = {rule.code: rule for rule in RULES}
# Where a criterion is fixed when its first choice of page does not exist (yet) in this installation.
FALLBACK_URL_NAMES = {"perception_gap": "surveys:survey_list"}


def is_met(rule: Rule, value: float | None) -> bool:
    if value is None:
        return False
    if rule.kind == "amount":
        return value > rule.threshold
    return value >= rule.threshold

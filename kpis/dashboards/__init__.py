"""Read models of the KPI dashboards (journey gap, touchpoint drill-down, organization overview).

Selectors in the sense of the style guide: they take an OrgContext and read only rollups, targets, benchmarks,
KPI values and snapshots, in a fixed number of queries, so a page costs the same with 1,000 or 10 million
responses. The one exception is the touchpoint page's latest verbatims: a LIMIT query on the answers' index.

Journey, stage and organization figures are sums of touchpoint rollups (every respondent weighs the same), unless a
journey survey answered for the period: then the journey figure is that survey's (the page says which).
"""

from kpis.dashboards.common import DEFAULT_PERIOD, Filters, default_filters, default_kpi, filters_from, sparkline
from kpis.dashboards.journey import (
    JourneyGap,
    StageColumn,
    TouchpointCard,
    TouchpointScores,
    journey_gap,
    touchpoint_scores,
)
from kpis.dashboards.overview import JourneyRow, Overview, TouchpointRow, organization_overview
from kpis.dashboards.touchpoint import LinkedKpi, TouchpointPage, Verbatim, touchpoint_page

__all__ = [
    "DEFAULT_PERIOD",
    "Filters",
    "JourneyGap",
    "JourneyRow",
    "LinkedKpi",
    "Overview",
    "StageColumn",
    "TouchpointCard",
    "TouchpointPage",
    "TouchpointRow",
    "TouchpointScores",
    "Verbatim",
    "default_filters",
    "default_kpi",
    "filters_from",
    "journey_gap",
    "organization_overview",
    "sparkline",
    "touchpoint_page",
    "touchpoint_scores",
]

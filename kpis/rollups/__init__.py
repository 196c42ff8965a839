"""The rollup engine: dirty marking, incremental aggregation, full rebuild and reconciliation.

Four tables, each one GROUP BY over the answers (see `sql.TABLES`):
- `Rollup`: per touchpoint, day and metric. Journey, stage and organization figures are sums of these rows.
- `JourneyRollup`: answers of journey surveys (no touchpoint), per journey, day and metric.
- `RelationshipRollup`: answers of relationship surveys (no touchpoint, no journey), per organization, day and metric.
- `SegmentRollup`: the touchpoint rollups sliced by the respondent's customer segment and persona.

Why segment and persona filters read a rollup of their own instead of joining answers to customers at read time
(measured by `manage.py bench_kpis`): the join grows with the responses (about 0.9 s for one journey over a year
at one million responses, and ten times that at ten million) while the slice rollup stays a few milliseconds,
like every other dashboard read. The price: a slice is as fresh as its last aggregation, so a customer who moves
segment moves their past answers only when `mark_dirty_for_customers` is called (or the nightly reconciliation
finds it), and rebuilding the slices costs a join of answers, responses and customers (seconds per million).
"""

from kpis.rollups.aggregation import (
    AggregationResult,
    RebuildResult,
    aggregate_dirty,
    clear_answer_customer,
    mark_dirty_for_answer,
    mark_dirty_for_customers,
    mark_dirty_for_range,
    mark_dirty_for_responses,
    mark_dirty_keys,
    rebuild_rollups,
    recompute_keys,
    schedule_aggregation,
)
from kpis.rollups.reconcile import find_differences, reconcile_rollups

__all__ = [
    "AggregationResult",
    "RebuildResult",
    "aggregate_dirty",
    "clear_answer_customer",
    "find_differences",
    "mark_dirty_for_answer",
    "mark_dirty_for_customers",
    "mark_dirty_for_range",
    "mark_dirty_for_responses",
    "mark_dirty_keys",
    "rebuild_rollups",
    "recompute_keys",
    "reconcile_rollups",
    "schedule_aggregation",
]

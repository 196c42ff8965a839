"""Negative synergy: what several poor experiences in a short time do to a customer.

One poor experience is forgiven; three in a quarter, at different touchpoints and journeys, are not. This package
reads a customer's touchpoint history across journeys (streaks of poor experiences, the most within any 90 days)
and the "compound failure" view: scores and churn by the number of poor experiences a customer had in the 90 days
before (per response) or at most within any 90 days (per customer).

- `stats`: pure functions over numbers and numpy arrays (no Django): buckets, sliding 90-day counts, Wilson interval.
- `frames`: one row per customer response (its primary score, banded) read column-wise into pandas.
- `selectors`: `customer_touchpoint_history` and `compound_failures`, scoped by OrgContext.
- `charts`: the plotly figure of the compound-failure page.

"Poor" is the bad band of the response's primary metric (nps > csat > ces > rating): an NPS detractor (0-6), else
the bottom box(es) of the scale (core.scales.Scale.bad_max). Only customer surveys count (never employee or
leadership surveys: surveys.Survey.INTERNAL_KINDS).
"""

"""The perception gap: what leaders (or frontline staff) think customers score each touchpoint, against what the
customers score it.

- services.py: create a perception survey (a staff survey with one "what score do you think customers give?" and one
  "how important is it?" question per touchpoint, on the customer metric's own scale).
- selectors.py: read the surveys and compute the gap per touchpoint from the staff answers and the customer rollups.
- stats.py: the arithmetic (pure functions, no Django): suppression, significance, blind spots, rank correlation.
- charts.py / presenters.py: the dot chart and the sentences of the gap page.
"""

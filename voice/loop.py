"""Into the loop: what happens once comments are analysed.

`after_analysis(response_ids, organization_ids)` is called by voice.services after each analysed chunk, inside the
chunk's transaction: it evaluates the alert rules that have a theme or sentiment condition for these responses
(voice.rules) and then suggests a root cause to their cases, those just opened and those the drain opened before
the analysis (voice.suggestions). Both are idempotent: a chunk can be analysed again.
"""

from __future__ import annotations

from voice.rules import text_rules_evaluate
from voice.suggestions import suggest_for_responses


def after_analysis(*, response_ids: list[int], organization_ids: list[int]) -> None:
    """Open the cases the analysed comments call for, then suggest root causes to the responses' cases."""
    if not response_ids:
        return
    text_rules_evaluate(response_ids, organization_ids)
    suggest_for_responses(response_ids)

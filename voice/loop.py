"""Into the loop (owned by the alert-rule/case work): what happens once comments are analysed.

`after_analysis(response_ids, organization_ids)` is called by voice.services after each analysed chunk, inside the
chunk's transaction: it evaluates the alert rules that have a theme or sentiment condition for these responses and
adds the suggested root cause to their cases. It must be idempotent (a chunk can be analysed again).
"""

from __future__ import annotations


def after_analysis(*, response_ids: list[int], organization_ids: list[int]) -> None:
    """Placeholder until the alert-rule/case work lands (see the module docstring)."""
    return None

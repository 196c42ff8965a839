"""Receivers of other apps' signals, connected by importing this module in ProgramConfig.ready().

- actions' improvement-page hook (`improvement_page_context` in actions.views.improvements): the "you said, we did"
  panel (why customers cannot be told yet, or who would be; the updates sent and the recovery since).
"""

from __future__ import annotations

from django.dispatch import receiver

from actions.views.improvements import improvement_page_context


@receiver(improvement_page_context, dispatch_uid="program.customer_updates_panel")
def customer_updates_on_improvement_page(sender, action, ctx, **kwargs) -> dict:
    from program.updates.selectors import improvement_updates_panel

    return {"customer_updates_panel": improvement_updates_panel(ctx=ctx, action=action)}

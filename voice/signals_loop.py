"""Receivers of the case-side loop, connected by importing this module in VoiceConfig.ready().

- actions' `case_opened`: a case opened for an already analysed comment (a rule without a text condition that the
  drain fired after a re-analysis, a case opened later) gets its suggested root cause at once.
- a root-cause event on a case (actions' `case_set_root_cause`, whoever calls it: the case page, the close form,
  the API, the suggestion's confirm button) settles the suggestion: confirmed or changed, by whom, when. The event
  rather than the case's post_save: it carries the actor, and it is written only when the root cause changed.
- actions' case-page hook (`case_page_context` in actions.views.cases): the comment's themes, sentiment and the
  suggestion for the case page's voice fragment.
"""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from actions.models import CaseEvent
from actions.signals import case_opened
from actions.views.cases import case_page_context


@receiver(case_opened, dispatch_uid="voice.suggest_on_case_opened")
def suggest_on_case_opened(sender, case, **kwargs) -> None:
    from voice.suggestions import suggest_for_responses

    suggest_for_responses([case.response_id])


@receiver(post_save, sender=CaseEvent, dispatch_uid="voice.settle_suggestion")
def settle_suggestion(sender, instance: CaseEvent, created: bool, raw: bool = False, **kwargs) -> None:
    if raw or not created or instance.kind != CaseEvent.Kind.ROOT_CAUSE:
        return
    from voice.suggestions import suggestion_settle

    case = instance.case
    suggestion_settle(case_id=case.pk, root_cause_id=case.root_cause_id, actor=instance.actor, at=instance.created_at)


@receiver(case_page_context, dispatch_uid="voice.case_page_context")
def voice_on_case_page(sender, case, **kwargs) -> dict:
    from voice.suggestions import case_voice

    found = case_voice(case=case)
    return {"voice": found} if found.analyses or found.suggestion else {}

"""Writes of the perception gap: create a perception survey for leaders or frontline staff.

The survey is an ordinary survey of kind leadership or employee, built and published with the survey builder's own
services (so it has versions, a shareable link and the public pages of every other survey). Its kind is what keeps
the staff answers out of every customer figure: answers of internal kinds are stored without a metric key.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.scoping import OrgContext
from audit import actions as audit_actions
from audit.services import audit_record
from core.scales import scale_for_metric
from journeys.models import Journey, Touchpoint
from program.models import Audience, PerceptionItem, PerceptionSurvey, importance_code, perceived_code
from program.perception.selectors import customer_metrics
from surveys.builder import services as builder
from surveys.models import Question, Survey

KIND_OF_AUDIENCE: dict[str, str] = {
    Audience.LEADERSHIP: Survey.Kind.LEADERSHIP,
    Audience.FRONTLINE: Survey.Kind.EMPLOYEE,
}
IMPORTANCE_SCALE = (1, 5)


class PerceptionError(Exception):
    """A perception survey the service refuses to create, with the reason to show."""


def survey_languages(organization) -> tuple[list[str], str]:
    """(languages, fallback): the organization's survey languages (all of them when it names none) and its default
    language when that is one of them."""
    languages = [code for code in (organization.languages or []) if code in settings.SURVEY_LANGUAGES]
    languages = languages or list(settings.SURVEY_LANGUAGES)
    fallback = organization.default_language if organization.default_language in languages else languages[0]
    return languages, fallback


def _texts(message: str, languages: list[str], **params) -> dict[str, str]:
    """The question in every survey language (each rendered with that language's catalogue)."""
    texts = {}
    for lang in languages:
        with translation.override(lang):
            texts[lang] = _(message) % params
    return texts


# Marked for translation here; rendered in each survey language by _texts.
PERCEIVED_TEXT = gettext_noop("What score do you think customers give “%(touchpoint)s”?")
IMPORTANCE_TEXT = gettext_noop("How important is “%(touchpoint)s” to customers? (1 = not at all, 5 = very)")


def default_name(*, journey: Journey, audience: str) -> str:
    if audience == Audience.FRONTLINE:
        return _("How frontline staff see %(journey)s") % {"journey": journey.name}
    return _("How leaders see %(journey)s") % {"journey": journey.name}


def _journey_touchpoints(journey: Journey, touchpoint_ids) -> list[Touchpoint]:
    touchpoints = list(
        Touchpoint.objects.filter(organization_id=journey.organization_id, journey=journey)
        .active()
        .select_related("stage")
        .order_by("stage__position", "stage_id", "position", "pk")
    )
    if touchpoint_ids is None:
        return touchpoints
    wanted = {int(pk) for pk in touchpoint_ids}
    if not wanted <= {tp.pk for tp in touchpoints}:
        raise PerceptionError(_("Choose active touchpoints of the journey."))
    return [tp for tp in touchpoints if tp.pk in wanted]


@transaction.atomic
def perception_survey_create(
    *,
    ctx: OrgContext,
    journey: Journey,
    audience: str,
    name: str = "",
    touchpoint_ids=None,
) -> PerceptionSurvey:
    """Create and publish a perception survey of `journey` for `audience`, with two questions per touchpoint.

    For each chosen active touchpoint that has a customer metric (selectors.customer_metrics): "what score do you
    think customers give it?" on that metric's own scale (`perceived-<id>`) and "how important is it to customers?"
    on 1-5 (`importance-<id>`), none required, in every survey language. The survey gets no touchpoints of its own:
    a staff survey must never be chosen to invite customers at a touchpoint, nor tag staff responses with one."""
    if not ctx.can_edit_program:
        raise PermissionDenied
    if journey.organization_id != ctx.org_id:
        raise PerceptionError(_("Choose a journey of this organization."))
    if audience not in KIND_OF_AUDIENCE:
        raise PerceptionError(_("Choose whom to ask."))
    touchpoints = _journey_touchpoints(journey, touchpoint_ids)
    metrics = customer_metrics(organization=ctx.organization, touchpoint_ids=[tp.pk for tp in touchpoints])
    plan = [(tp, metrics[tp.pk]) for tp in touchpoints if tp.pk in metrics]
    if not plan:
        raise PerceptionError(_("None of the chosen touchpoints has a customer score to compare with."))
    languages, fallback = survey_languages(ctx.organization)
    survey = builder.survey_create(
        ctx=ctx,
        name=(name or "").strip() or default_name(journey=journey, audience=audience),
        kind=KIND_OF_AUDIENCE[audience],
        languages=languages,
        default_language=fallback,
        journey=journey,
    )
    for tp, metric in plan:
        scale = scale_for_metric(metric)
        if scale is None:  # customer_metrics chooses score metrics only
            raise ValueError(f"The customer metric {metric!r} has no scale.")
        builder.question_add(
            survey=survey,
            kind=Question.Kind.RATING,
            code=perceived_code(tp.pk),
            text=_texts(PERCEIVED_TEXT, languages, touchpoint=tp.name),
            scale_min=scale.low,
            scale_max=scale.high,
            required=False,
        )
        builder.question_add(
            survey=survey,
            kind=Question.Kind.RATING,
            code=importance_code(tp.pk),
            text=_texts(IMPORTANCE_TEXT, languages, touchpoint=tp.name),
            scale_min=IMPORTANCE_SCALE[0],
            scale_max=IMPORTANCE_SCALE[1],
            required=False,
        )
    builder.survey_publish(survey=survey)
    user = ctx.user if ctx.user is not None and ctx.user.is_authenticated else None
    perception = PerceptionSurvey.objects.create(
        organization=ctx.organization, survey=survey, journey=journey, audience=audience, created_by=user
    )
    PerceptionItem.objects.bulk_create(
        PerceptionItem(
            organization=ctx.organization, perception=perception, touchpoint=tp, metric=metric, position=position
        )
        for position, (tp, metric) in enumerate(plan, start=1)
    )
    audit_record(
        action=audit_actions.PERCEPTION_SURVEY_CREATE,
        ctx=ctx,
        target=perception,
        target_label=survey.name,
        detail={
            "survey": survey.pk,
            "journey": journey.pk,
            "audience": audience,
            "touchpoints": [tp.pk for tp, _metric in plan],
        },
    )
    return perception

"""Demo seed: the perception gap (see demo/seed/program.py).

The story: the leadership team thinks onboarding goes well everywhere. Twelve leaders predict high scores at every
touchpoint, so at the technician visit (or whichever onboarding touchpoint customers score worst in the window) they
are far too optimistic: a clear blind spot. At the touchpoint customers like best they are about right. Twenty
frontline staff, who hear the customers every day, predict much closer to the truth, and they know the technician
visit matters most. Leaders rank the sales front as most important, so a key driver at the visit is "underrated".

The surveys are created by the perception service and answered through the real ingestion service (so the answers
are stored as staff answers, without a metric key), then followed up like any response. Predictions are planted
relative to the customers' actual means in the page's default window, with integer answers whose mean is set
exactly, so the story holds whatever the demo's size.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING

from accounts.models import Role
from accounts.scoping import OrgContext
from core.scales import scale_for_metric
from program.models import Audience, PerceptionSurvey, importance_code, perceived_code
from program.perception import selectors
from program.perception.services import perception_survey_create
from surveys.ingestion.services import response_process, response_submit
from surveys.models import Response, Survey, SurveyVersion

if TYPE_CHECKING:
    from demo.seed import SeedContext

JOURNEY = "Onboarding"
LEADERS = 12
FRONTLINE = 20
ANSWER_DAYS = 21  # staff answered over the three weeks before today
LEADER_LEVEL = 0.87  # leaders predict this far up every scale...
BLIND_SPOT_LIFT = 0.25  # ...and at least this much of the scale above the worst touchpoint's actual mean
FRONTLINE_SHARE = 0.3  # frontline predictions lie this share of the way from the truth to the leaders'
SD_SHARE = 0.08  # spread of one person's prediction around the group's mean, as a share of the scale
# How important each touchpoint is to customers (1-5), as leaders and frontline staff see it.
LEADER_IMPORTANCE = {
    "Web order": 4.6,
    "Phone sales order": 4.4,
    "First invoice": 4.1,
    "Order confirmation": 3.9,
    "Activation and Wi-Fi setup": 3.6,
    "Technician visit booking": 3.2,
    "Technician visit": 2.9,
    "Router pick-up at service point": 2.6,
}
FRONTLINE_IMPORTANCE = {
    "Technician visit": 4.8,
    "Activation and Wi-Fi setup": 4.3,
    "Technician visit booking": 4.0,
    "First invoice": 3.9,
    "Web order": 3.5,
    "Phone sales order": 3.3,
    "Router pick-up at service point": 3.1,
    "Order confirmation": 2.7,
}
LANGUAGE_WEIGHTS = (("sv", 0.6), ("nb", 0.15), ("da", 0.15), ("en", 0.1))


def answers_with_mean(rng: random.Random, n: int, target: float, sd: float, low: int, high: int) -> list[int]:
    """n integer answers within low..high, spread around `target`, whose mean is as close to it as integers allow
    (values are nudged one step at a time towards the target)."""
    target = min(max(target, low), high)
    values = [min(max(round(rng.gauss(target, sd)), low), high) for _ in range(n)]
    goal = round(target * n)
    order = list(range(n))
    rng.shuffle(order)
    i = 0
    while sum(values) != goal and i < 20 * n:
        k = order[i % n]
        if sum(values) < goal and values[k] < high:
            values[k] += 1
        elif sum(values) > goal and values[k] > low:
            values[k] -= 1
        i += 1
    return values


def _moments(sc: SeedContext, count: int) -> list[dt.datetime]:
    """Submission times over the ANSWER_DAYS before today, in office hours of the organization; the last one
    yesterday, so the page's default window (which ends on the day of the last answer) is known here."""
    zone = sc.organization.zone
    days = [sc.rng.randint(2, ANSWER_DAYS) for _ in range(count - 1)] + [1]
    moments = []
    for d in days:
        clock = dt.time(sc.rng.randint(8, 16), sc.rng.randint(0, 59))
        moments.append(dt.datetime.combine(sc.today - dt.timedelta(days=d), clock, tzinfo=zone))
    return sorted(moments)


def _targets(items, actual: dict, *, min_n: int) -> dict[int, float]:
    """The leaders' mean prediction per touchpoint: high everywhere, far too high at the worst touchpoint, about
    right at the best one (by the customers' actual means, among touchpoints with enough answers)."""
    known = {
        item.touchpoint_id: actual[(item.touchpoint_id, item.metric)].mean
        for item in items
        if (item.touchpoint_id, item.metric) in actual and actual[(item.touchpoint_id, item.metric)].n >= min_n
    }
    targets = {}
    for item in items:
        scale = scale_for_metric(item.metric)
        span = scale.high - scale.low
        targets[item.touchpoint_id] = scale.low + LEADER_LEVEL * span
    if known:
        worst = min(known, key=lambda tp: (known[tp], tp))
        scale = scale_for_metric(next(i.metric for i in items if i.touchpoint_id == worst))
        span = scale.high - scale.low
        lifted = max(targets[worst], known[worst] + BLIND_SPOT_LIFT * span)
        targets[worst] = min(lifted, scale.high - 0.03 * span)
        best = max((tp for tp in known if tp != worst), key=lambda tp: (known[tp], -tp), default=None)
        if best is not None:
            targets[best] = known[best]
    return targets


def _respond(
    sc: SeedContext,
    perception: PerceptionSurvey,
    *,
    people: int,
    predicted: dict[int, float],
    importance: dict[int, float],
) -> None:
    survey = perception.survey
    version = survey.current_version
    items = list(perception.items.all())
    columns: dict[str, list[int]] = {}
    for item in items:
        scale = scale_for_metric(item.metric)
        sd = max(SD_SHARE * (scale.high - scale.low), 0.5)
        columns[perceived_code(item.touchpoint_id)] = answers_with_mean(
            sc.rng, people, predicted[item.touchpoint_id], sd, scale.low, scale.high
        )
        columns[importance_code(item.touchpoint_id)] = answers_with_mean(
            sc.rng, people, importance[item.touchpoint_id], 0.7, 1, 5
        )
    languages, weights = zip(*[(lang, w) for lang, w in LANGUAGE_WEIGHTS if lang in survey.languages], strict=True)
    for n, moment in enumerate(_moments(sc, people)):
        response, _created = response_submit(
            organization=sc.organization,
            survey=survey,
            version=version,
            answers={code: values[n] for code, values in columns.items()},
            language=sc.rng.choices(languages, weights=weights)[0],
            source=Response.Source.WEB,
            submitted_at=moment,
        )
        response_process(response_id=response.pk)


def _backdate(perception: PerceptionSurvey, moment: dt.datetime) -> None:
    PerceptionSurvey.objects.filter(pk=perception.pk).update(created_at=moment)
    Survey.objects.filter(pk=perception.survey_id).update(created_at=moment)
    SurveyVersion.objects.filter(survey_id=perception.survey_id).update(published_at=moment, created_at=moment)


def seed(sc: SeedContext) -> None:
    org = sc.organization
    journey = sc.extra.get("journeys", {}).get(JOURNEY)
    if journey is None:
        return
    ctx = OrgContext(organization=org, role=Role.CX_MANAGER, user=sc.users.get("cx"))
    leaders = perception_survey_create(
        ctx=ctx, journey=journey, audience=Audience.LEADERSHIP, name="Leadership team: how customers see onboarding"
    )
    frontline = perception_survey_create(
        ctx=ctx, journey=journey, audience=Audience.FRONTLINE, name="Frontline: how customers see onboarding"
    )
    items = list(leaders.items.select_related("touchpoint"))
    # The page's default window: the WINDOW_DAYS up to the day of the last staff answer (yesterday, see _moments).
    end = sc.today - dt.timedelta(days=1)
    start = end - dt.timedelta(days=selectors.WINDOW_DAYS - 1)
    actual = selectors.customer_sums(organization_id=org.pk, items=items, start=start, end=end)
    leader_targets = _targets(items, actual, min_n=org.min_n)
    truths = {
        item.touchpoint_id: actual[(item.touchpoint_id, item.metric)].mean
        for item in items
        if (item.touchpoint_id, item.metric) in actual and actual[(item.touchpoint_id, item.metric)].n
    }
    frontline_targets = {
        tp: truths[tp] + FRONTLINE_SHARE * (target - truths[tp]) if tp in truths else target
        for tp, target in leader_targets.items()
    }
    names = {item.touchpoint_id: item.touchpoint.name for item in items}
    _respond(
        sc,
        leaders,
        people=LEADERS,
        predicted=leader_targets,
        importance={tp: LEADER_IMPORTANCE.get(name, 3.5) for tp, name in names.items()},
    )
    _respond(
        sc,
        frontline,
        people=FRONTLINE,
        predicted=frontline_targets,
        importance={tp: FRONTLINE_IMPORTANCE.get(name, 3.5) for tp, name in names.items()},
    )
    created = dt.datetime.combine(sc.today - dt.timedelta(days=ANSWER_DAYS + 2), dt.time(9, 0), tzinfo=org.zone)
    _backdate(leaders, created)
    _backdate(frontline, created)
    sc.extra["perception_surveys"] = {"leadership": leaders, "frontline": frontline}
    sc.log(f"  perception: {LEADERS} leader and {FRONTLINE} frontline responses about {journey.name}")

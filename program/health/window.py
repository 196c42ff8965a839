"""The as-of date of an assessment and the windows that end at it, in the organization's time zone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from program.health.decision import MET, NOT_APPLICABLE, NOT_MET
from program.health.rules import FALLBACK_URL_NAMES, RULES_BY_CODE, is_met

if TYPE_CHECKING:
    from accounts.models import Organization


def fix_url(code: str) -> str:
    """The page where a criterion is fixed (its fallback page when the first choice is not installed)."""
    for name in (RULES_BY_CODE[code].url_name, FALLBACK_URL_NAMES.get(code)):
        if name:
            try:
                return reverse(name)
            except NoReverseMatch:
                continue
    return ""


@dataclass
class Window:
    """What every criterion of one assessment shares: the organization, the as-of date, facts read once."""

    organization: Organization
    as_of: dt.date
    cache: dict = field(default_factory=dict)

    def day_start(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time.min, tzinfo=self.organization.zone)

    @cached_property
    def end(self) -> dt.datetime:
        """The first moment after the as-of date (windows are [start, end))."""
        return self.day_start(self.as_of + dt.timedelta(days=1))

    @cached_property
    def moment(self) -> dt.datetime:
        """The as-of moment: the end of the as-of date, or now when that is still to come (a case due tonight is
        not late yet)."""
        return min(self.end, timezone.now())

    def first_day(self, days: int) -> dt.date:
        """The first day of a window of `days` days ending at the as-of date (inclusive)."""
        return self.as_of - dt.timedelta(days=days - 1)

    def start(self, days: int) -> dt.datetime:
        return self.day_start(self.first_day(days))

    def result(
        self, code: str, value: float | None, evidence: dict, *, applicable: bool = True, met: bool | None = None
    ) -> dict:
        """One criterion's outcome, ready for HealthSnapshot.criteria."""
        rule = RULES_BY_CODE[code]
        passed = is_met(rule, value) if met is None else met
        status = (MET if passed else NOT_MET) if applicable else NOT_APPLICABLE
        return {
            "code": code,
            "stage": rule.stage,
            "status": status,
            "value": None if value is None else round(float(value), 6),
            "threshold": rule.threshold,
            "evidence": evidence,
            "url": fix_url(code),
        }

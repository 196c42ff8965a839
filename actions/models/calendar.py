"""An organization's business calendar: working days and hours, and holidays (for business-hours SLAs)."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import OrgOwned

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class BusinessCalendar(OrgOwned):
    """One per organization; times are wall-clock times in the organization's time zone."""

    working_days = models.JSONField(_("working days"), default=list, help_text=_("Weekday numbers, Monday = 0."))
    day_start = models.TimeField(_("working day starts"), default=dt.time(8, 0))
    day_end = models.TimeField(_("working day ends"), default=dt.time(17, 0))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="businesscalendar_one_per_org"),
            models.CheckConstraint(condition=models.Q(day_end__gt=models.F("day_start")), name="calendar_day_order"),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}: {self.day_start}-{self.day_end}"


class Holiday(OrgOwned):
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["organization", "date"], name="holiday_unique_date")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"

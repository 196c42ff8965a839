"""Configuration by CX managers: alert rules, the root-cause taxonomy and the business calendar."""

import datetime as dt

import pytest
from django.urls import reverse

from actions.models import AlertRule, BusinessCalendar, Holiday, RootCause
from actions.selectors.config import working_calendar

pytestmark = pytest.mark.django_db


def test_a_cx_manager_creates_a_keyword_rule_with_a_business_hours_sla(loop_a, client_for, loop_b):
    c = client_for(loop_a.cast.cx_manager)
    response = c.post(
        reverse("actions:rule_create"),
        {
            "name": "Churn words",
            "is_active": "on",
            "priority": 5,
            "keywords": "uppsägning|cancel",
            "default_team": loop_a.other_team.pk,
            "sla_hours": 8,
            "sla_business_hours": "on",
            "notify_team": "on",
        },
    )
    assert response.status_code == 302
    rule = AlertRule.objects.get(name="Churn words")
    assert rule.organization == loop_a.org and rule.created_by == loop_a.cast.cx_manager.user
    assert rule.keyword_list == ["uppsägning", "cancel"] and rule.sla_business_hours and rule.sla_hours == 8
    assert "Churn words" in c.get(reverse("actions:rule_list")).content.decode()
    # Another organization's team is not a valid choice.
    response = c.post(
        reverse("actions:rule_edit", args=[rule.pk]),
        {"name": "Churn words", "priority": 5, "keywords": "x", "default_team": loop_b.team.pk, "sla_hours": 8},
    )
    assert response.status_code == 200
    rule.refresh_from_db()
    assert rule.default_team == loop_a.other_team


def test_a_rule_needs_at_least_one_condition(loop_a, client_for):
    response = client_for(loop_a.cast.cx_manager).post(
        reverse("actions:rule_create"), {"name": "Empty", "priority": 1, "sla_hours": 4}
    )
    assert "Set at least one condition." in response.content.decode()
    assert not AlertRule.objects.filter(name="Empty").exists()


@pytest.mark.parametrize("role", ["frontline", "executive"])
def test_only_program_editors_manage_rules_and_the_calendar(loop_a, client_for, role):
    c = client_for(loop_a.cast.member(role))
    for name in ("actions:rule_list", "actions:rule_create", "actions:calendar"):
        assert c.get(reverse(name)).status_code == 403
    assert c.post(reverse("actions:rule_delete", args=[loop_a.rule.pk])).status_code == 403
    assert c.post(reverse("actions:root_cause_list"), {"name": "Sneaky"}).status_code == 403
    assert not RootCause.objects.filter(name="Sneaky").exists()
    assert AlertRule.objects.filter(pk=loop_a.rule.pk).exists()
    # The taxonomy itself is readable by everyone.
    assert "No-show" in c.get(reverse("actions:root_cause_list")).content.decode()


def test_the_taxonomy_is_a_tree_cx_managers_edit(loop_a, client_for):
    c = client_for(loop_a.cast.cx_manager)
    technician = loop_a.root_causes["technician"]
    c.post(reverse("actions:root_cause_list"), {"name": "Unfinished installation", "parent": technician.pk})
    node = RootCause.objects.get(name="Unfinished installation")
    assert node.parent == technician
    # Same name at the same level is refused; a node cannot move under its own child.
    response = c.post(reverse("actions:root_cause_list"), {"name": "Late", "parent": technician.pk})
    assert "already exists" in response.content.decode()
    late = loop_a.root_causes["late"]
    c.post(reverse("actions:root_cause_edit", args=[technician.pk]), {"name": "Technician", "parent": late.pk})
    technician.refresh_from_db()
    assert technician.parent is None
    c.post(reverse("actions:root_cause_edit", args=[late.pk]), {"name": "Late arrival", "parent": technician.pk})
    late.refresh_from_db()
    assert late.name == "Late arrival" and not late.is_active  # the unchecked box deactivates it
    page = c.get(reverse("actions:root_cause_list")).content.decode()
    assert "Late arrival" in page and "Unfinished installation" in page


def test_business_calendar_and_holidays_feed_the_sla_calendar(loop_a, client_for):
    c = client_for(loop_a.cast.cx_manager)
    c.post(
        reverse("actions:calendar"),
        {"working_days": ["0", "1", "2", "3", "4", "5"], "day_start": "09:00", "day_end": "18:00"},
    )
    calendar = BusinessCalendar.objects.get(organization=loop_a.org)
    assert calendar.working_days == [0, 1, 2, 3, 4, 5] and calendar.day_start == dt.time(9)
    c.post(reverse("actions:holiday_add"), {"date": "2026-12-24", "name": "Julafton"})
    spec = working_calendar(organization=loop_a.org)
    assert spec.working_days == frozenset({0, 1, 2, 3, 4, 5}) and dt.date(2026, 12, 24) in spec.holidays
    assert spec.day_end == dt.time(18) and spec.timezone == loop_a.org.timezone
    holiday = Holiday.objects.get()
    c.post(reverse("actions:holiday_delete", args=[holiday.pk]))
    assert not Holiday.objects.exists()
    # A day that ends before it starts is refused.
    c.post(reverse("actions:calendar"), {"working_days": ["0"], "day_start": "18:00", "day_end": "09:00"})
    calendar.refresh_from_db()
    assert calendar.day_start == dt.time(9)

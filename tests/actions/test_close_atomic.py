"""Closing is one transaction: a close that fails changes neither the root cause nor where the problem started."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from actions.models import CaseEvent
from actions.services import cases as services
from tests.actions.test_origin_touchpoint import ctx_of, open_case
from tests.factories import StageFactory, TouchpointFactory

pytestmark = pytest.mark.django_db


def test_closing_an_already_closed_case_changes_nothing(loop_a):
    case = open_case(loop_a)
    ctx = ctx_of(loop_a.cast.cx_manager)
    causes = list(loop_a.root_causes.values())
    services.case_close(ctx=ctx, case=case, resolution="Credited", root_cause=causes[0])
    stage = StageFactory(organization=loop_a.org, journey__organization=loop_a.org)
    elsewhere = TouchpointFactory(stage=stage, name="Phone sales order")
    events = CaseEvent.objects.filter(case=case).count()

    with pytest.raises(ValidationError):
        services.case_close(ctx=ctx, case=case, resolution="Again", root_cause=causes[1], origin_touchpoint=elsewhere)

    case.refresh_from_db()
    assert case.root_cause == causes[0]
    assert case.origin_touchpoint is None
    assert CaseEvent.objects.filter(case=case).count() == events

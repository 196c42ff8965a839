"""The monthly report e-mail and PDF in the subscriber's language and the organization's time zone.

The organization speaks Swedish and sits in New York. A subscription without a language of its own falls back to the
language the subscriber saved in their settings, then to the organization's; the report's charts are drawn in the
language being rendered (legend, axis title, number separators), not frozen in the organization's.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import translation
from django.utils.formats import date_format

from accounts.models import Role, UserPreference
from core.charts import plotly_separators
from core.scales import measure_label
from reports.charts import localized_charts
from reports.delivery import selectors
from reports.models import MonthlyReport, ReportDelivery, ReportSubscription
from reports.rendering import render_report_body
from tests.factories import MembershipFactory, UserFactory
from tests.reports.test_pdf import generate, last_month, make_org, seed_month

pytestmark = pytest.mark.django_db

# 03:30 UTC on 2 November 2026 is 22:30 on 1 November in New York (EST) and 04:30 on 2 November in Stockholm.
GENERATED = dt.datetime(2026, 11, 2, 3, 30, tzinfo=dt.UTC)


@pytest.fixture
def new_york_org(db):
    org, executive = make_org()
    org.timezone = "America/New_York"
    org.save(update_fields=["timezone"])
    return org, executive


def test_a_subscription_without_a_language_follows_the_subscribers_saved_language(
    new_york_org, django_capture_on_commit_callbacks
):
    org, dane = new_york_org  # an executive: subscribed by default, no subscription row
    UserPreference.objects.create(user=dane.user, language="da")
    chooser = MembershipFactory(organization=org, user=UserFactory(username="chooser"), role=Role.EXECUTIVE)
    UserPreference.objects.create(user=chooser.user, language="da")
    ReportSubscription.objects.create(organization=org, user=chooser.user, subscribed=True, language="nb")
    plain = MembershipFactory(organization=org, user=UserFactory(username="plain"), role=Role.EXECUTIVE)

    assert selectors.user_language(user=dane.user, organization=org) == "da"
    assert selectors.user_language(user=chooser.user, organization=org) == "nb"  # the report's own choice wins
    assert selectors.user_language(user=plain.user, organization=org) == "sv"  # the organization's

    month = last_month()
    seed_month(org, django_capture_on_commit_callbacks, month=month)
    report = generate(org, django_capture_on_commit_callbacks, month=month)
    languages = dict(ReportDelivery.objects.filter(report=report).values_list("email", "language"))
    assert languages == {dane.user.email: "da", chooser.user.email: "nb", plain.user.email: "sv"}

    [message] = [m for m in mail.outbox if m.to == [dane.user.email]]
    assert "månedsrapport" in message.subject
    assert '<html lang="da">' in message.alternatives[0][0]
    [(filename, pdf, _mimetype)] = message.attachments
    assert filename.endswith("-da.pdf") and pdf.startswith(b"%PDF")


def test_the_report_body_shows_its_times_in_the_organizations_zone_in_each_language(
    new_york_org, django_capture_on_commit_callbacks
):
    org, _executive = new_york_org
    month = last_month()
    seed_month(org, django_capture_on_commit_callbacks, month=month, n=12)
    report = generate(org, django_capture_on_commit_callbacks, month=month)
    MonthlyReport.objects.filter(pk=report.pk).update(generated_at=GENERATED)
    report.refresh_from_db()

    with translation.override("en"):  # whatever the caller has active
        danish = render_report_body(report, language="da")
        swedish = render_report_body(report, language="sv")
    assert "lavet 1. november 2026 22:30" in danish
    assert "1 november 2026 22:30" in swedish
    for body in (danish, swedish):
        assert "04:30" not in body and "03:30" not in body


def test_the_charts_are_drawn_in_the_language_being_rendered(new_york_org, django_capture_on_commit_callbacks):
    org, _executive = new_york_org
    month = last_month()
    seed_month(org, django_capture_on_commit_callbacks, month=month, n=12)
    report = generate(org, django_capture_on_commit_callbacks, month=month)
    stored = report.figures["charts"]["trend"]
    assert stored["layout"]["separators"] == plotly_separators("sv")  # frozen in the organization's language

    english = localized_charts(report.figures, language="en")["trend"]
    assert english["layout"]["separators"] == plotly_separators("en") != plotly_separators("sv")
    with translation.override("en"):
        label = str(measure_label(report.figures["metric"]["key"], report.figures["metric"]["measure"]))
    assert english["layout"]["yaxis"]["title"]["text"] == label
    assert english["data"][0]["name"] == label
    assert english["data"][0]["y"] == stored["data"][0]["y"]  # the same figures, only their words and separators

    danish = localized_charts(report.figures, language="da")["trend"]
    assert danish["layout"]["separators"] == plotly_separators("da")
    # Month names in the reader's language on the axis and in the hover (plotly's own would be English).
    months = danish["data"][0]["x"]
    with translation.override("da"):
        expected = [date_format(dt.date.fromisoformat(m[:10]), "M Y") for m in months]
        assert date_format(dt.date(2026, 10, 1), "M Y") != "Oct 2026"  # not plotly's English
    assert danish["data"][0]["text"] == expected and "%{x|" not in danish["data"][0]["hovertemplate"]
    assert danish["layout"]["xaxis"]["tickvals"][0] == months[0]
    assert danish["layout"]["xaxis"]["ticktext"][0] == expected[0]
    report.refresh_from_db()
    assert report.figures["charts"]["trend"] == stored  # the snapshot is left as it was

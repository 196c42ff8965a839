"""Links and QR codes, personal invitations by e-mail, held invitations and reminders."""

import datetime as dt
import io

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from surveys.distribution import services
from surveys.distribution.tasks import send_due_invitations, send_reminders
from surveys.models import ContactDecision, Invitation, SurveyLink
from tests.factories import CustomerFactory
from tests.surveys.factories import link_for, make_invitation

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def test_qr_code_downloads_as_svg_and_png(client_for, cast_a, survey_a, tp_a):
    c = client_for(cast_a.frontline)
    link = link_for(survey_a, tp_a)
    svg = c.get(reverse("surveys:link_qr", args=[survey_a.pk, link.pk, "svg"]), {"download": "1"})
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
    assert svg.content.startswith(b"<?xml") and b"<svg" in svg.content
    assert svg["Content-Disposition"].startswith("attachment;") and ".svg" in svg["Content-Disposition"]
    png = c.get(reverse("surveys:link_qr", args=[survey_a.pk, link.pk, "png"]))
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert c.get(reverse("surveys:link_qr", args=[survey_a.pk, link.pk, "gif"])).status_code == 404


def test_qr_code_encodes_the_public_link(survey_a, tp_a):
    link = link_for(survey_a, tp_a)
    url = services.link_url(link)
    assert url.endswith(f"/s/t/{link.token}/") and len(link.token) >= 32  # >= 192 bits, url-safe


def test_links_page_lists_links_and_revoking_creates_room_for_a_new_one(client_for, cast_a, survey_a, tp_a):
    c = client_for(cast_a.cx_manager)
    link = link_for(survey_a, tp_a)
    page = c.get(reverse("surveys:survey_links", args=[survey_a.pk])).content.decode()
    assert services.link_url(link) in page
    c.post(reverse("surveys:link_revoke", args=[survey_a.pk, link.pk]))
    link.refresh_from_db()
    assert not link.is_active and link.revoked_at
    c.post(reverse("surveys:link_create", args=[survey_a.pk]), {"touchpoint": tp_a.pk})
    new = link_for(survey_a, tp_a)
    assert new.pk != link.pk and new.token != link.token


def test_frontline_cannot_revoke_or_create_links(client_for, cast_a, survey_a, tp_a):
    c = client_for(cast_a.frontline)
    link = link_for(survey_a, tp_a)
    assert c.post(reverse("surveys:link_revoke", args=[survey_a.pk, link.pk])).status_code == 403
    assert c.post(reverse("surveys:link_create", args=[survey_a.pk]), {"touchpoint": tp_a.pk}).status_code == 403
    link.refresh_from_db()
    assert link.is_active and SurveyLink.objects.count() == 1


def test_another_organizations_links_and_qr_codes_are_404(client_for, cast_a, survey_b, tp_b, survey_a, tp_a):
    c = client_for(cast_a.admin)
    link_b = link_for(survey_b, tp_b)
    link_a = link_for(survey_a, tp_a)
    assert c.get(reverse("surveys:link_qr", args=[survey_b.pk, link_b.pk, "svg"])).status_code == 404
    # Own survey id with the other organization's link id: still 404.
    assert c.get(reverse("surveys:link_qr", args=[survey_a.pk, link_b.pk, "png"])).status_code == 404
    assert c.post(reverse("surveys:link_revoke", args=[survey_a.pk, link_b.pk])).status_code == 404
    assert c.post(reverse("surveys:link_revoke", args=[survey_b.pk, link_b.pk])).status_code == 404
    assert c.post(reverse("surveys:link_create", args=[survey_a.pk]), {"touchpoint": tp_b.pk}).status_code == 404
    assert c.post(reverse("surveys:link_create", args=[survey_b.pk]), {"touchpoint": tp_b.pk}).status_code == 404
    assert c.post(reverse("surveys:invitation_list", args=[survey_b.pk]), {"external_ids": "X"}).status_code == 404
    assert not Invitation.objects.exists()
    link_b.refresh_from_db()
    assert link_b.is_active
    assert SurveyLink.objects.filter(survey=survey_a).get() == link_a


def test_invitations_are_emailed_in_the_customers_language_under_the_contact_rules(
    client_for, cast_a, survey_a, tp_a, django_capture_on_commit_callbacks
):
    nb = CustomerFactory(organization=cast_a.org, language="nb", name="Ola Nordmann", external_id="N1")
    da = CustomerFactory(organization=cast_a.org, language="da", name="Mette Hansen", external_id="D1")
    no_consent = CustomerFactory(organization=cast_a.org, may_survey=False, external_id="X1")
    no_email = CustomerFactory(organization=cast_a.org, email="", external_id="X2")
    c = client_for(cast_a.cx_manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(
            reverse("surveys:invitation_list", args=[survey_a.pk]),
            {"external_ids": "N1, D1\nX1 X2 nobody", "touchpoint": tp_a.pk},
            follow=True,
        )
    page = response.content.decode()
    assert "2 invited." in page and "Unknown ids: nobody" in page
    assert len(mail.outbox) == 2
    by_to = {m.to[0]: m for m in mail.outbox}
    norwegian = by_to[nb.email]
    assert norwegian.subject == "Alpha Telecom vil gjerne høre fra deg"
    assert "Hei Ola Nordmann," in norwegian.body
    invitation = Invitation.objects.get(customer=nb)
    url = services.invitation_url(invitation)
    assert url in norwegian.body
    html, mime = norwegian.alternatives[0]
    assert mime == "text/html" and 'lang="nb"' in html and "Svar på undersøkelsen" in html and url in html
    assert by_to[da.email].subject == "Alpha Telecom vil gerne høre fra dig"
    assert len(invitation.token) >= 43 and invitation.language == "nb" and invitation.touchpoint == tp_a
    assert invitation.sent_at is not None
    lifetime = invitation.expires_at - invitation.created_at
    assert abs(lifetime - dt.timedelta(days=survey_a.invitation_expiry_days)) < dt.timedelta(seconds=5)
    reasons = dict(ContactDecision.objects.values_list("customer__external_id", "reason"))
    assert reasons == {"N1": "eligible", "D1": "eligible", "X1": "no_consent", "X2": "no_email"}
    assert not Invitation.objects.filter(customer__in=[no_consent, no_email]).exists()

    # Inviting the same customers again falls in the quarantine.
    with django_capture_on_commit_callbacks(execute=True):
        c.post(reverse("surveys:invitation_list", args=[survey_a.pk]), {"external_ids": "N1"})
    assert len(mail.outbox) == 2
    assert ContactDecision.objects.filter(customer=nb).latest("created_at").reason == "quarantine"


def test_invitations_page_is_read_only_for_executives_and_scoped(client_for, cast_a, cast_b, survey_a):
    CustomerFactory(organization=cast_b.org, external_id="B1")
    assert (
        client_for(cast_a.executive)
        .post(reverse("surveys:invitation_list", args=[survey_a.pk]), {"external_ids": "B1"})
        .status_code
        == 403
    )
    c = client_for(cast_a.cx_manager)
    page = c.post(reverse("surveys:invitation_list", args=[survey_a.pk]), {"external_ids": "B1"}, follow=True)
    assert "0 invited." in page.content.decode() and "Unknown ids: B1" in page.content.decode()
    assert not Invitation.objects.exists() and not ContactDecision.objects.exists()


def test_held_invitations_go_out_once_after_the_hold(cast_a, survey_a, tp_a, customer_a, settings):
    settings.SURVEYS_EVENT_HOLD_MINUTES = 60
    decision = services.touchpoint_event_record(
        organization=cast_a.org, customer_external_id=customer_a.external_id, touchpoint=tp_a
    )
    invitation = decision.invitation
    assert invitation.sent_at is None and invitation.send_after > timezone.now()
    assert send_due_invitations() == 0 and mail.outbox == []
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=61)):
        assert send_due_invitations() == 1
        assert send_due_invitations() == 0
        assert services.invitation_send(invitation_id=invitation.pk) is False
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [customer_a.email]


def test_consent_withdrawn_during_the_hold_means_no_email(cast_a, survey_a, tp_a, customer_a):
    decision = services.touchpoint_event_record(
        organization=cast_a.org, customer_external_id=customer_a.external_id, touchpoint=tp_a
    )
    customer_a.may_survey = False
    customer_a.save()
    with time_machine.travel(timezone.now() + dt.timedelta(hours=2)):
        send_due_invitations()
    assert mail.outbox == []
    decision.invitation.refresh_from_db()
    assert decision.invitation.withdrawn_at is not None


def test_reminders_follow_count_and_delay_and_are_sent_once(cast_a, survey_a, tp_a, customer_a):
    survey_a.reminder_count, survey_a.reminder_delay_days = 2, 3
    survey_a.save()
    start = timezone.now()
    invitation = make_invitation(survey_a, customer_a, touchpoint=tp_a, language="nb", sent_at=start, days=30)
    answered = make_invitation(
        survey_a, CustomerFactory(organization=cast_a.org), touchpoint=tp_a, sent_at=start, days=30
    )
    Invitation.objects.filter(pk=answered.pk).update(used_at=start)

    def at(days, hours=0):
        return time_machine.travel(start + dt.timedelta(days=days, hours=hours), tick=False)

    with at(2, 23):
        assert send_reminders() == 0
    with at(3, 1):
        assert send_reminders() == 1
        assert send_reminders() == 0  # the same run again: nothing twice
    with at(5):
        assert send_reminders() == 0
    with at(6, 2):
        assert send_reminders() == 1
    with at(20):
        assert send_reminders() == 0  # reminder_count reached
    invitation.refresh_from_db()
    assert invitation.reminders_sent == 2
    assert len(mail.outbox) == 2 and all(m.to == [customer_a.email] for m in mail.outbox)
    assert mail.outbox[0].subject == "Påminnelse: Alpha Telecom vil gjerne høre fra deg"
    assert "En liten påminnelse" in mail.outbox[0].body


def test_two_workers_reading_the_same_due_reminder_send_it_once(cast_a, survey_a, tp_a, customer_a):
    start = timezone.now() - dt.timedelta(days=10)
    invitation = make_invitation(survey_a, customer_a, touchpoint=tp_a, sent_at=start, days=30)
    now = timezone.now()
    # Both workers read reminders_sent = 0; only the first conditional UPDATE matches.
    assert services.reminder_claim(invitation_id=invitation.pk, seen_count=0, now=now) is True
    assert services.reminder_claim(invitation_id=invitation.pk, seen_count=0, now=now) is False
    invitation.refresh_from_db()
    assert invitation.reminders_sent == 1 and invitation.last_reminder_at == now
    assert send_reminders() == 0  # and the beat run after them finds nothing due
    assert mail.outbox == []


def test_no_reminders_for_expired_withdrawn_or_unconsented_invitations(cast_a, survey_a, tp_a):
    start = timezone.now() - dt.timedelta(days=10)
    expired = make_invitation(survey_a, CustomerFactory(organization=cast_a.org), sent_at=start, days=-1)
    withdrawn = make_invitation(survey_a, CustomerFactory(organization=cast_a.org), sent_at=start, days=30)
    Invitation.objects.filter(pk=withdrawn.pk).update(withdrawn_at=start)
    make_invitation(survey_a, CustomerFactory(organization=cast_a.org, may_survey=False), sent_at=start, days=30)
    assert expired.expires_at < timezone.now()
    assert send_reminders() == 0


def test_the_beat_schedule_is_registered_by_setup_periodic_tasks():
    from django.core.management import call_command

    call_command("setup_periodic_tasks", stdout=io.StringIO())
    call_command("setup_periodic_tasks", stdout=io.StringIO())  # idempotent
    tasks = dict(PeriodicTask.objects.values_list("name", "task"))
    assert PeriodicTask.objects.get(name="surveys.send_reminders").interval.every == 3600
    assert tasks["surveys.send_reminders"] == "surveys.send_reminders"
    assert tasks["surveys.send_due_invitations"] == "surveys.send_due_invitations"
    from cxplatform.celery import app

    app.loader.import_default_modules()
    assert {"surveys.send_reminders", "surveys.send_due_invitations", "surveys.send_invitation"} <= set(app.tasks)


def test_invitation_list_shows_invitations_with_few_queries(
    client_for, cast_a, survey_a, tp_a, django_assert_max_num_queries
):
    for _ in range(25):
        make_invitation(survey_a, CustomerFactory(organization=cast_a.org), touchpoint=tp_a)
    c = client_for(cast_a.executive)
    with django_assert_max_num_queries(14):  # + the audit log's INSERT, + the response rates (one grouped query)
        page = c.get(reverse("surveys:invitation_list", args=[survey_a.pk])).content.decode()
    assert page.count('data-testid="invitation-row"') == 25
    assert 'data-testid="invite"' not in page

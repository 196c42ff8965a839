"""Hooks of the actions app's outbox e-mails, found by outbox.kinds (the kinds: actions.services.notifications)."""

OUTBOX_KINDS = {
    # Sent only while the case is open (after an outage it may have been handled meanwhile); the first team e-mail
    # sent stamps case.team_notified_at and the timeline.
    "actions.case_opened": {
        "still_wanted": "actions.services.notifications.case_still_open",
        "on_sent": "actions.services.notifications.case_team_notified",
    },
    "actions.case_escalated": {"still_wanted": "actions.services.notifications.case_still_open"},
    # The customer's consent is checked again right before sending; once sent, case.customer_replied_at is stamped.
    "actions.case_reply": {
        "still_wanted": "actions.services.notifications.case_reply_still_wanted",
        "on_sent": "actions.services.notifications.case_customer_replied",
    },
}

"""Hooks of the program app's outbox e-mails, found by outbox.kinds (the kind: program.updates.services.KIND)."""

OUTBOX_KINDS = {
    # "You said, we did": the customer's contact consent and address are checked again right before sending (a
    # withdrawn consent cancels the e-mail); once sent, the recipient's sent_at is stamped.
    "program.customer_update": {
        "still_wanted": "program.updates.services.customer_update_still_wanted",
        "on_sent": "program.updates.services.customer_update_sent",
    },
}

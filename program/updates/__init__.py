""" "You said, we did": tell the customers whose cases led to a proven improvement what changed, and measure whether
they come back happier.

- audience.py: who can be told about an action (and why the others cannot), in which language;
- messages.py: the default message and the e-mail, rendered in the customer's language;
- services.py: `customer_update_send` (one transaction: recipients, outbox e-mails, re-survey due times, audit
  event) and the outbox hooks (consent checked again right before sending; sent time stamped after);
- resurvey.py: the re-surveys decided on their day under the contact rules (periodic task program.resurveys_due);
- selectors.py: updates, recipients, the recovery report (with the customers not told as comparison) and the
  improvement page's panel;
- recovery.py: the recovery arithmetic (pure functions).
"""

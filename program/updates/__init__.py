""" "You said, we did": tell the customers whose cases led to a proven improvement what changed, and measure whether
they come back happier.

- audience.py: who can be told about an action (and why the others cannot), in which language;
- messages.py: the default message and the e-mail, rendered in the customer's language;
- services.py: `customer_update_send` (one transaction: recipients, outbox e-mails, optional re-survey invitations,
  audit event) and the outbox hooks (consent checked again right before sending; sent time stamped after);
- selectors.py: updates, recipients, the recovery report and the improvement page's panel;
- recovery.py: the recovery arithmetic (pure functions).
"""

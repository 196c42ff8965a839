"""Hooks other apps connect to (in their AppConfig.ready), so surveys need not know about them.

`responses_processed` is the follow-up itself: sent once per batch by the drain (surveys.ingestion), inside the
transaction that sets the batch's `processed_at`, with `response_ids=[...]` (sorted) and `organization_ids=[...]`.
Receivers work on the whole batch with a few set-based statements (kpis marks rollup keys, actions evaluates the
alert rules in SQL). A crash rolls the batch back and the drain or the sweep sends it again, so receivers must be
idempotent (upsert on a unique key; never open a second case for the same response).

`response_processed` (one response, `response=<Response>`) is for observers that want each processed response:
the drain sends it to its own receivers only when there are any (loading the rows costs time). Sending it by hand
(a test, a one-off script) follows that one response up: it sends `responses_processed` for it first.
"""

from django.dispatch import Signal

responses_processed = Signal()


class ResponseProcessed(Signal):
    """The per-response signal; `send` follows the response up, `notify` only tells this signal's receivers."""

    def send(self, sender, **named):
        response = named["response"]
        responses_processed.send(sender=sender, organization_ids=[response.organization_id], response_ids=[response.pk])
        return self.notify(sender, **named)

    def notify(self, sender, **named):
        return super().send(sender, **named)


response_processed = ResponseProcessed()

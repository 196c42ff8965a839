"""Signals of the actions app, for observers in other apps (webhooks, audit) that actions need not know about.

Each is sent inside the transaction that made the change, so a receiver that writes rows (an outbox, a delivery log)
commits or rolls back with it. Receivers must only write rows: no network, no e-mail (an outbox does that later).

- `case_opened`: a feedback case was created (`case=<FeedbackCase>`); sent once per case, never for a case that
  already existed (a second delivery of the same batch opens nothing).
- `case_closed`: a case was closed (`case=<FeedbackCase>`, `actor=<user or None>`).
- `impact_measured`: an improvement action's impact was measured (`action=<ImprovementAction>`).
"""

from django.dispatch import Signal

case_opened = Signal()
case_closed = Signal()
impact_measured = Signal()

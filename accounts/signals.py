"""Signals of the accounts app, for apps above it that accounts must not import (connected in their AppConfig.ready).

- `access_event`: a change to who may do what (members, roles, API keys, two-factor, single sign-on settings) or a
  sign-in worth keeping (SSO, failures, lock-outs). Sent inside the transaction of the change with the keyword
  arguments of `audit.services.audit_record`; the audit app records it, so the event commits or rolls back with
  the change, and a failure to record it fails the change.
- `metric_texts_requested`: the metric pickers (`accounts.selectors.metric_choices`) ask which metric keys an
  organization's questions measure (`organization=`). A receiver returns `{metric key: question text}` in the
  active language; the surveys app answers.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import Signal

access_event = Signal()
metric_texts_requested = Signal()


def send_access_event(**event: Any) -> None:
    access_event.send(sender=None, **event)

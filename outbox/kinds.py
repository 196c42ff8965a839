"""What an app may want around the sending of its messages, by kind; most kinds need nothing here.

An app declares `OUTBOX_KINDS` in an `outbox_kinds` module (`<app>/outbox_kinds.py`), found the first time a message
is sent, the way `setup_periodic_tasks` finds `PERIODIC_TASKS`:

    OUTBOX_KINDS = {
        "actions.case_reply": {
            # Checked on the claimed row right before sending; False cancels the message (consent withdrawn...).
            "still_wanted": "actions.services.notifications.case_reply_still_wanted",
            # Run after the row is marked sent, e.g. to stamp the domain row (case.customer_replied_at).
            "on_sent": "actions.services.notifications.case_reply_sent",
        },
    }

Both take the OutboxMessage. Hooks are dotted paths, imported when first used, so the declaring module stays cheap to
import and the outbox never imports the apps that use it. A kind nobody declared is sent as it is.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.conf import settings
from django.utils.module_loading import import_string

MODULE_NAME = "outbox_kinds"


@dataclass(frozen=True)
class Kind:
    still_wanted: Callable[[Any], bool] | None = None
    on_sent: Callable[[Any], None] | None = None


_registry: dict[str, dict[str, Any]] = {}
_discovered = False
_lock = threading.Lock()


def _resolve(hook: Callable | str | None) -> Callable | None:
    return import_string(hook) if isinstance(hook, str) else hook


def register(name: str, *, still_wanted: Callable | str | None = None, on_sent: Callable | str | None = None) -> None:
    """Declare the hooks of a kind (callables or dotted paths); a later declaration replaces an earlier one."""
    _registry[name] = {"still_wanted": still_wanted, "on_sent": on_sent}


def unregister(name: str) -> None:
    _registry.pop(name, None)


def _discover() -> None:
    global _discovered
    if _discovered:
        return
    with _lock:
        if _discovered:
            return
        base = str(settings.BASE_DIR)
        for config in apps.get_app_configs():
            if not str(config.path).startswith(base) or "site-packages" in str(config.path):
                continue
            module_name = f"{config.name}.{MODULE_NAME}"
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                if exc.name != module_name:
                    raise
                continue
            for name, hooks in getattr(module, "OUTBOX_KINDS", {}).items():
                _registry.setdefault(name, dict(hooks))
        _discovered = True


def get(name: str) -> Kind:
    _discover()
    hooks = _registry.get(name) or {}
    return Kind(still_wanted=_resolve(hooks.get("still_wanted")), on_sent=_resolve(hooks.get("on_sent")))

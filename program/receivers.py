"""Receivers of other apps' signals (the improvement page's "you said, we did" panel, outbox hooks)."""

"""Models of the outbox app."""

from django.db import models  # noqa: F401

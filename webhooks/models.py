"""Models of the webhooks app."""

from django.db import models  # noqa: F401

"""Encrypt every stored secret under the first FIELD_ENCRYPTION_KEY (after a key rotation, or to check the key)."""

from __future__ import annotations

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.encryption import encrypt_rows, encrypted_fields


class Command(BaseCommand):
    help = (
        "Write every encrypted secret (two-factor, single sign-on, webhooks) again under the first key of "
        "FIELD_ENCRYPTION_KEY. Rotate a key: put the new key first, keep the old one after it, run this, then "
        "remove the old key."
    )

    def handle(self, *args, **options) -> None:
        for model in apps.get_models():
            if not encrypted_fields(model):
                continue
            with transaction.atomic():
                written = encrypt_rows(model)
            self.stdout.write(f"{model._meta.label}: {written} rows ({', '.join(encrypted_fields(model))})")

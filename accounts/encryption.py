"""Secrets the platform must read back, encrypted at rest: TOTP secrets, SSO client secrets, webhook signing secrets.

They cannot be hashed (a code is checked, a request signed, a token asked for with the secret itself), so they are
encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from the `cryptography` package) under FIELD_ENCRYPTION_KEY, a
key kept in the environment and never in the database: a dump, a replica or a backup of the database reveals none
of them. FIELD_ENCRYPTION_KEY may list several keys, comma-separated: the first encrypts, every one decrypts, so a
key is rotated by putting the new one first and running `manage.py encrypt_secrets` (which re-encrypts every row).

A stored value is "fernet:" followed by the token. A value without the prefix is one written before encryption
(the data migrations encrypt those); it is read as it is, never guessed at.

Production (DEBUG off) must set the key: `manage.py check` (and so `migrate` and `check --deploy`) reports its
absence as an error, and any read or write of an encrypted field raises ImproperlyConfigured rather than storing a
secret in the clear. The demo (DEBUG on) derives a key from SECRET_KEY.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django import forms
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import migrations, models

PREFIX = "fernet:"
# The settings' default with DEBUG on: derive a key from SECRET_KEY (demo and tests only).
DERIVE = "derive-from-secret-key"


def _configured_keys() -> tuple[str, ...]:
    raw = (settings.FIELD_ENCRYPTION_KEY or "").strip()
    if raw == DERIVE:
        digest = hashlib.sha256(f"cx-field-encryption:{settings.SECRET_KEY}".encode()).digest()
        return (base64.urlsafe_b64encode(digest).decode(),)
    return tuple(k.strip() for k in raw.split(",") if k.strip())


@lru_cache(maxsize=4)
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k.encode()) for k in keys])


def _fernet() -> MultiFernet:
    keys = _configured_keys()
    if not keys:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY is not set: secrets cannot be stored or read. Set it to a Fernet key "
            "(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')."
        )
    try:
        return _fernet_for(keys)
    except ValueError as exc:
        raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEY is not a valid Fernet key: {exc}") from None


def is_encrypted(value: str) -> bool:
    return value.startswith(PREFIX)


def encrypt(value: str) -> str:
    if value == "" or is_encrypted(value):
        return value
    return PREFIX + _fernet().encrypt(value.encode()).decode()


def decrypt(value: str) -> str:
    if not is_encrypted(value):
        return value  # written before encryption: the data migration encrypts it
    try:
        return _fernet().decrypt(value[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "A stored secret cannot be decrypted with FIELD_ENCRYPTION_KEY (a key was replaced instead of rotated: "
            "keep the old key after the new one until `manage.py encrypt_secrets` has run)."
        ) from None


def reencrypt(value: str) -> str:
    """The value under the first key (rotation); a plain value is encrypted."""
    if not is_encrypted(value):
        return encrypt(value)
    return PREFIX + _fernet().rotate(value[len(PREFIX) :].encode()).decode()


class EncryptedTextField(models.TextField):
    """A text field stored encrypted; Python code sees the plain value. Not for lookups (each write differs)."""

    def from_db_value(self, value, expression, connection):
        return value if value is None else decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return value if value is None else encrypt(str(value))

    def formfield(self, **kwargs):
        return super().formfield(**{"widget": forms.TextInput, **kwargs})  # one line, as the CharField it replaces


def encrypted_fields(model) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]


def encrypt_rows(model, *, using: str = "default") -> int:
    """Write every row's encrypted fields again: plain values get encrypted, others re-encrypted under the first
    key (rotation). Used by the data migrations and `manage.py encrypt_secrets`; returns the rows written."""
    names = encrypted_fields(model)
    manager = model._base_manager.using(using)
    written = 0
    for row in list(manager.only("pk", *names)):  # a few rows per organization at most
        manager.filter(pk=row.pk).update(**{name: getattr(row, name) for name in names})
        written += 1
    return written


def _decrypt_rows(model, schema_editor) -> None:
    """Going back: the columns hold plain text again (the values read here are decrypted by the field)."""
    quote = schema_editor.quote_name
    names = encrypted_fields(model)
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    assignments = ", ".join(f"{quote(n)} = %s" for n in names)
    for row in list(model._base_manager.using(schema_editor.connection.alias).only("pk", *names)):
        values = [getattr(row, n) for n in names]
        schema_editor.execute(f"UPDATE {table} SET {assignments} WHERE {pk} = %s", [*values, row.pk])  # noqa: S608


def encrypt_existing_operation(app: str, model_names: list[str]) -> migrations.RunPython:
    """The data migration that follows turning fields into EncryptedTextField: secrets stored in the clear before
    are encrypted; going back writes them in the clear again."""

    def forward(apps, schema_editor):
        for name in model_names:
            encrypt_rows(apps.get_model(app, name), using=schema_editor.connection.alias)

    def backward(apps, schema_editor):
        for name in model_names:
            _decrypt_rows(apps.get_model(app, name), schema_editor)

    return migrations.RunPython(forward, backward)


@checks.register(checks.Tags.security, deploy=False)
def check_field_encryption_key(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    raw = (settings.FIELD_ENCRYPTION_KEY or "").strip()
    if not raw or (raw == DERIVE and not settings.DEBUG):
        return [
            checks.Error(
                "FIELD_ENCRYPTION_KEY is not set.",
                hint="Secrets (two-factor, single sign-on, webhooks) are stored encrypted with it. Generate one with "
                "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())' and keep "
                "it apart from database backups.",
                id="accounts.E001",
            )
        ]
    try:
        _fernet_for(_configured_keys())
    except ValueError as exc:
        return [checks.Error(f"FIELD_ENCRYPTION_KEY is not a valid Fernet key: {exc}", id="accounts.E002")]
    return []

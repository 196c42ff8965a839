"""Secrets the platform reads back are encrypted at rest (accounts.encryption): TOTP, SSO client, webhook signing.

What a database dump holds is checked with SQL straight from the tables; the flows that use the secrets (two-factor
sign-in, SSO, signed webhooks) run in their own test modules on the same encrypted fields.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyotp
import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection, transaction

from accounts import encryption
from accounts.models import SsoProvider, TwoFactorDevice
from webhooks.models import WebhookEndpoint

ROOT = Path(__file__).resolve().parent.parent


def stored(model, field: str, pk: int) -> str:
    """The column's value as a database dump would show it."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {connection.ops.quote_name(field)} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def write_raw(model, field: str, pk: int, value: str) -> None:
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {connection.ops.quote_name(field)} = %s WHERE id = %s", [value, pk])  # noqa: S608


@pytest.fixture
def secrets_of_every_kind(cast_a):
    totp = pyotp.random_base32()
    device = TwoFactorDevice.objects.create(user=cast_a.admin.user, secret=totp)
    sso = SsoProvider.objects.create(
        organization=cast_a.org, issuer="https://idp.example.com", client_id="cx", client_secret="sso-secret-123"
    )
    hook = WebhookEndpoint.objects.create(
        organization=cast_a.org, url="https://hooks.example.com/", secret="whsec_current", previous_secret="whsec_old"
    )
    return {
        (TwoFactorDevice, "secret", device.pk): totp,
        (SsoProvider, "client_secret", sso.pk): "sso-secret-123",
        (WebhookEndpoint, "secret", hook.pk): "whsec_current",
        (WebhookEndpoint, "previous_secret", hook.pk): "whsec_old",
    }


@pytest.mark.django_db
def test_no_secret_is_in_the_database_in_the_clear_and_the_code_reads_it_plain(secrets_of_every_kind):
    for (model, field, pk), plain in secrets_of_every_kind.items():
        raw = stored(model, field, pk)
        assert raw.startswith("fernet:") and plain not in raw, (model, field)
        assert getattr(model.objects.get(pk=pk), field) == plain
    # Each write encrypts anew (a random IV): equal secrets do not show as equal in a dump.
    device = TwoFactorDevice.objects.get()
    before = stored(TwoFactorDevice, "secret", device.pk)
    device.save()
    assert stored(TwoFactorDevice, "secret", device.pk) != before
    assert TwoFactorDevice.objects.get().secret == device.secret


@pytest.mark.django_db
def test_secrets_written_before_encryption_are_encrypted_by_the_command_and_still_read(secrets_of_every_kind):
    # A row as the old plain-text column held it: read as it is (never guessed at), then encrypted in place.
    (model, field, pk), plain = next(iter(secrets_of_every_kind.items()))
    write_raw(model, field, pk, plain)
    assert getattr(model.objects.get(pk=pk), field) == plain
    call_command("encrypt_secrets", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert stored(model, field, pk).startswith("fernet:")
    assert getattr(model.objects.get(pk=pk), field) == plain


@pytest.mark.django_db
def test_a_key_is_rotated_without_losing_a_secret(secrets_of_every_kind, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    derived = encryption._configured_keys()[0]  # the tests' key (derived from SECRET_KEY, as in the demo)
    settings.FIELD_ENCRYPTION_KEY = f"{old},{derived}"
    call_command("encrypt_secrets", stdout=open(os.devnull, "w"))  # noqa: SIM115
    settings.FIELD_ENCRYPTION_KEY = f"{new},{old}"  # the new key first, the old one still decrypts
    for (model, field, pk), plain in secrets_of_every_kind.items():
        assert getattr(model.objects.get(pk=pk), field) == plain
    call_command("encrypt_secrets", stdout=open(os.devnull, "w"))  # noqa: SIM115
    settings.FIELD_ENCRYPTION_KEY = new  # the old key dropped
    for (model, field, pk), plain in secrets_of_every_kind.items():
        assert getattr(model.objects.get(pk=pk), field) == plain
    # A key replaced instead of rotated: a clear error, never a wrong secret or a silent empty one.
    settings.FIELD_ENCRYPTION_KEY = Fernet.generate_key().decode()
    with pytest.raises(ImproperlyConfigured, match="cannot be decrypted"):
        SsoProvider.objects.get().client_secret  # noqa: B018


@pytest.mark.django_db
def test_without_a_key_no_secret_is_written_in_the_clear(cast_a, settings):
    settings.FIELD_ENCRYPTION_KEY = ""
    with pytest.raises(ImproperlyConfigured, match="FIELD_ENCRYPTION_KEY is not set"), transaction.atomic():
        TwoFactorDevice.objects.create(user=cast_a.admin.user, secret=pyotp.random_base32())
    assert not TwoFactorDevice.objects.exists()


def _check(extra: dict[str, str]) -> subprocess.CompletedProcess:
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "DATABASE_URL") if key in os.environ}
    env.update({"DEBUG": "False", "SECRET_KEY": "check-only-" + "k" * 50, **extra})
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_without_the_key_fails_the_system_check_with_a_clear_message():
    missing = _check({})
    assert missing.returncode != 0
    assert "accounts.E001" in missing.stderr and "FIELD_ENCRYPTION_KEY is not set" in missing.stderr
    # The demo's derived key is refused in production even when written out.
    assert "accounts.E001" in _check({"FIELD_ENCRYPTION_KEY": encryption.DERIVE}).stderr
    assert "accounts.E002" in _check({"FIELD_ENCRYPTION_KEY": "not-a-key"}).stderr
    ok = _check({"FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode()})
    assert ok.returncode == 0, ok.stderr


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_the_secrets_stored_in_the_clear_and_going_back_restores_them(cast_a):
    from django.db.migrations.executor import MigrationExecutor

    before = [("accounts", "0006_user_preference"), ("webhooks", "0001_initial")]
    after = [("accounts", "0007_encrypt_secrets"), ("webhooks", "0002_encrypt_secrets")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        totp = pyotp.random_base32()
        old.get_model("accounts", "TwoFactorDevice").objects.create(user_id=cast_a.admin.user.pk, secret=totp)
        old.get_model("webhooks", "WebhookEndpoint").objects.create(
            organization_id=cast_a.org.pk, url="https://h.example.com/", secret="whsec_plain", previous_secret=""
        )
        device_pk = old.get_model("accounts", "TwoFactorDevice").objects.get().pk
        hook_pk = old.get_model("webhooks", "WebhookEndpoint").objects.get().pk
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        assert stored(TwoFactorDevice, "secret", device_pk).startswith("fernet:")
        assert stored(WebhookEndpoint, "secret", hook_pk).startswith("fernet:")
        assert stored(WebhookEndpoint, "previous_secret", hook_pk) == ""  # nothing to hide stays empty
        assert TwoFactorDevice.objects.get().secret == totp
        assert WebhookEndpoint.objects.get().secret == "whsec_plain"
        executor = MigrationExecutor(connection)
        executor.migrate(before)
        assert stored(TwoFactorDevice, "secret", device_pk) == totp
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(after)

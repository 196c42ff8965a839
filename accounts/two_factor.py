"""Two-factor sign-in with an authenticator app (TOTP, RFC 6238) and one-time recovery codes.

Optional per user; an organization may require it of its administrators (Organization.require_two_factor_for_admins,
enforced by accounts.middleware.TwoFactorRequiredMiddleware). It applies to password sign-ins: a session signed in
through the organization's single sign-on relies on the identity provider's own second factor.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp
import segno
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import RecoveryCode, TwoFactorDevice
from accounts.signals import send_access_event

ISSUER = "CX Platform"
STEP_SECONDS = 30
# Codes of the previous and the next 30 seconds are accepted too (clock drift of the phone).
DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10


def _hash(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").replace(" ", "").strip().lower().encode()).hexdigest()


def is_enrolled(user) -> bool:
    return TwoFactorDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def device_begin(*, user) -> TwoFactorDevice:
    """A new secret for the user to scan (unconfirmed until a right code); a confirmed device is kept as it is."""
    device = TwoFactorDevice.objects.filter(user=user).first()
    if device is not None and device.is_confirmed:
        return device
    if device is None:
        return TwoFactorDevice.objects.create(user=user, secret=pyotp.random_base32())
    return device


def provisioning_uri(device: TwoFactorDevice) -> str:
    return pyotp.TOTP(device.secret).provisioning_uri(name=device.user.get_username(), issuer_name=ISSUER)


def qr_svg(device: TwoFactorDevice) -> str:
    """The provisioning URI as an inline SVG QR code (no image request, no third party)."""
    return segno.make(provisioning_uri(device), error="m").svg_inline(scale=4, dark="#000", light="#fff")


def _matching_step(secret: str, code: str) -> int | None:
    code = "".join(ch for ch in code or "" if ch.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    now_step = int(time.time()) // STEP_SECONDS
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _use_step(device: TwoFactorDevice, step: int) -> bool:
    """Record the step as used; False when it (or a later one) was used already: a code works once."""
    return bool(
        TwoFactorDevice.objects.filter(pk=device.pk)
        .filter(Q(last_step__isnull=True) | Q(last_step__lt=step))
        .update(last_step=step)
    )


def _grouped(digits: str) -> str:
    return "-".join(digits[i : i + 5] for i in range(0, len(digits), 5))


def _new_recovery_codes(user) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    # 80 random bits each (20 hex digits in groups of five): a stolen table of unsalted hashes reveals none of them.
    codes = [_grouped(secrets.token_hex(10)) for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create([RecoveryCode(user=user, hashed_code=_hash(code)) for code in codes])
    return codes


@transaction.atomic
def device_confirm(*, user, code: str, ctx=None, request=None) -> list[str] | None:
    """Confirm the user's new device with a code from the app; return the recovery codes (shown once), or None
    when the code is wrong."""
    device = TwoFactorDevice.objects.select_for_update().filter(user=user, confirmed_at__isnull=True).first()
    if device is None:
        return None
    step = _matching_step(device.secret, code)
    if step is None or not _use_step(device, step):
        return None
    device.confirmed_at = timezone.now()
    device.save(update_fields=["confirmed_at"])
    codes = _new_recovery_codes(user)
    send_access_event(action="two_factor.enroll", ctx=ctx, user=user, target=user, detail={}, request=request)
    return codes


def verify(*, user, code: str) -> str | None:
    """Check a sign-in code: "totp" for a right app code, "recovery" for an unused recovery code, else None."""
    device = TwoFactorDevice.objects.filter(user=user, confirmed_at__isnull=False).first()
    if device is None:
        return None
    step = _matching_step(device.secret, code)
    if step is not None:
        return "totp" if _use_step(device, step) else None
    if code and len(code.strip()) >= 10:
        used = RecoveryCode.objects.filter(user=user, hashed_code=_hash(code), used_at__isnull=True).update(
            used_at=timezone.now()
        )
        if used:
            return "recovery"
    return None


def recovery_codes_left(user) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


@transaction.atomic
def recovery_codes_regenerate(*, user, ctx=None, request=None) -> list[str]:
    codes = _new_recovery_codes(user)
    send_access_event(action="two_factor.recovery_codes", ctx=ctx, user=user, target=user, detail={}, request=request)
    return codes


@transaction.atomic
def device_remove(*, user, ctx=None, request=None, by_admin: bool = False) -> bool:
    """Turn two-factor sign-in off for the user (by the user, or reset by an administrator of their organization)."""
    deleted, _ = TwoFactorDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    if deleted:
        send_access_event(
            action="two_factor.reset" if by_admin else "two_factor.disable",
            ctx=ctx,
            user=None if by_admin else user,
            target=user,
            detail={},
            request=request,
        )
    return bool(deleted)

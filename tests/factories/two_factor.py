"""Two-factor sign-in in tests: a confirmed authenticator app for a user, its current code, and a session that
has passed the second step the way django-otp records it (so tests that are not about sign-in need no codes)."""

from __future__ import annotations

import time

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from councils.signin import HAS_DEVICE, TWO_FACTOR_SESSION_KEY, two_factor_state


def make_totp_device(user, *, key: str | None = None) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        fields = {"key": key} if key else {}
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True, **fields)
    return device


def totp_code(device: TOTPDevice, *, at: float | None = None) -> str:
    """The code the app shows now — or, if that time step was used already (a second sign-in within 30 s),
    the next step's code, which the device's tolerance of one step accepts."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = at if at is not None else time.time()
    if totp.t() <= device.last_t:
        totp.time += device.step * (device.last_t + 1 - totp.t())
    return f"{totp.token():0{device.digits}d}"


def verify_session(client: Client, user) -> None:
    """Mark the client's signed-in session as past the second step, as django_otp.login does."""
    session = client.session
    if two_factor_state(user) == HAS_DEVICE or session.get(TWO_FACTOR_SESSION_KEY) != "off":
        device = make_totp_device(user)
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session[TWO_FACTOR_SESSION_KEY] = HAS_DEVICE
        session.save()

"""Sign-in hardening: who must use two-factor sign-in, where a session stands with it, and the client address
the lock-out counts failures against. Reads only; the writes (devices, recovery codes) are in services.py."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Q
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from councils.choices import Role
from councils.models import normalize_email_address

if TYPE_CHECKING:
    from django.http import HttpRequest

    from councils.models import User

# Where a signed-in session stands with the second step, worked out once at sign-in (so no page pays a query):
# the person has an authenticator app to confirm with, must set one up first, or does without.
TWO_FACTOR_SESSION_KEY = "two_factor"
HAS_DEVICE = "device"
MUST_SET_UP = "setup"
NOT_USED = "off"

REQUIRED_ROLES = frozenset({Role.PROGRAMME_STAFF, Role.ASSESSOR, Role.ADMIN})


def two_factor_required(user: User) -> bool:
    """Programme staff, assessors and administrators (and anyone who can reach Django admin) must use it."""
    return user.role in REQUIRED_ROLES or user.is_staff or user.is_superuser


def totp_device(user: User, *, confirmed: bool = True) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("-pk").first()


def recovery_device(user: User) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def two_factor_state(user: User) -> str:
    if totp_device(user) is not None:
        return HAS_DEVICE
    return MUST_SET_UP if two_factor_required(user) else NOT_USED


def is_verified(request: HttpRequest) -> bool:
    """Whether this session passed the second step (django-otp's own session key, set by django_otp.login)."""
    return DEVICE_ID_SESSION_KEY in request.session


def client_ip(request: HttpRequest) -> str:
    """The visitor's address for the sign-in lock-out: the connection's, or behind TRUSTED_PROXY_COUNT proxies
    the address the outermost trusted proxy saw (the rest of X-Forwarded-For can be forged by the visitor)."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def lockout_username(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """The account a sign-in attempt counts against for the lock-out (django-axes' AXES_USERNAME_CALLABLE): the
    address typed, in the form addresses are kept in, so failures as Bob@… and bob@… count as one account's."""
    field = settings.AXES_USERNAME_FORM_FIELD
    typed = credentials.get(field) if credentials else getattr(request, "data", request.POST).get(field)
    return normalize_email_address(typed) if isinstance(typed, str) else typed


def lockout_ends_at(request: HttpRequest, credentials: dict | None = None) -> datetime:
    """When the lock-out this sign-in met lifts: the cool-off after the last failure counted against its account or
    address. A sign-in the lock-out refuses is not counted (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT), so
    trying again while locked out neither moves this nor counts against anyone."""
    counted = Q(ip_address=client_ip(request))
    username = lockout_username(request, credentials)
    if username:
        counted |= Q(username=username)
    last = AccessAttempt.objects.filter(counted).aggregate(last=Max("attempt_time"))["last"]
    return (last or timezone.now()) + settings.AXES_COOLOFF_TIME


def remember_two_factor_state(sender, request: HttpRequest | None, user: User, **kwargs) -> None:
    """On sign-in (the service's page, Django admin's, or a test's force_login): note in the session where this
    person stands with the second step, so the middleware never needs a query for it."""
    if request is not None and hasattr(request, "session"):
        request.session[TWO_FACTOR_SESSION_KEY] = two_factor_state(user)

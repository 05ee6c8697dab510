"""Writes for councils and people."""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.exceptions import ApplicationError, Problem
from core.formatting import govuk_datetime, plural
from councils.choices import COUNCIL_TYPE_FROM_CSV
from councils.models import Council, PasswordResetRequest, User
from councils.signin import recovery_device, totp_device, two_factor_required
from notifications.choices import Event
from notifications.services import notify

COUNCILS_CSV = Path(__file__).resolve().parent / "data" / "english-councils.csv"
REQUIRED_COLUMNS = {"register_code", "official_name", "short_name", "gss_code", "council_type", "region"}


@dataclass
class LoadResult:
    created: int
    updated: int
    unchanged: int


def council_load_from_csv(*, path: Path = COUNCILS_CSV, progress: Callable[[int], None] | None = None) -> LoadResult:
    """Create or update councils from the register CSV. Idempotent; a bad file changes nothing."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = REQUIRED_COLUMNS - set(reader.fieldnames or [])
            if missing:
                raise ApplicationError(f"{path.name} is missing the column(s): {', '.join(sorted(missing))}")
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ApplicationError(f"Could not read {path}: {error}") from error

    parsed = []
    for line_number, row in enumerate(rows, start=2):
        # A short row's missing cells are None: read every cell as text, so such a row is refused by the checks.
        row = {name: (value or "") if isinstance(value, str | None) else "" for name, value in row.items()}
        council_type = COUNCIL_TYPE_FROM_CSV.get(row["council_type"].strip())
        code = row["register_code"].strip()
        if not council_type or len(code) != 3 or not row["gss_code"].strip().startswith("E"):
            raise ApplicationError(f"{path.name} line {line_number}: not a valid English council row")
        parsed.append(
            {
                "register_code": code,
                "official_name": " ".join(row["official_name"].split()),
                "short_name": row["short_name"].strip(),
                "gss_code": row["gss_code"].strip(),
                "council_type": council_type,
                "region": row["region"].strip(),
            }
        )

    existing = {council.register_code: council for council in Council.objects.all()}
    result = LoadResult(0, 0, 0)
    with transaction.atomic():
        for index, values in enumerate(parsed, start=1):
            council = existing.get(values["register_code"])
            if council is None:
                Council.objects.create(**values)
                result.created += 1
            elif any(getattr(council, key) != value for key, value in values.items()):
                for key, value in values.items():
                    setattr(council, key, value)
                council.save()
                result.updated += 1
            else:
                result.unchanged += 1
            if progress:
                progress(index)
    return result


# --- Two-factor sign-in -----------------------------------------------------------------------------------


def two_factor_setup_start(*, user: User) -> TOTPDevice:
    """The authenticator app this person is setting up: an unconfirmed TOTP device with a new secret, kept until
    they confirm a code from it (so reloading the page shows the same secret)."""
    device = totp_device(user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


def _refuse_while_throttled(device: TOTPDevice | StaticDevice) -> None:
    """django-otp slows down repeated wrong codes: while it does, even a right code is refused, so the person is
    told to wait (never that a right code is wrong)."""
    allowed, details = device.verify_is_allowed()
    if allowed:
        return
    wait = ""
    if details and details.get("locked_until"):
        seconds = max(1, int((details["locked_until"] - timezone.now()).total_seconds()) + 1)
        wait = f" Wait {plural(seconds, 'second')} and try again."
    message = f"Too many wrong codes.{wait}"
    raise ApplicationError(message, problems=[Problem(message, field="code")])


def two_factor_setup_confirm(*, user: User, code: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the app with a code from it. Replaces any earlier app and recovery codes; returns the device and
    the new recovery codes, which are shown to the person once. The person is emailed that it changed."""
    device = totp_device(user, confirmed=False)
    if device is None:
        message = "Start setting up your authenticator app again"
        raise ApplicationError(message, problems=[Problem(message, field="code")])
    _refuse_while_throttled(device)
    if not device.verify_token(code):
        message = "The code is not correct or has expired. Enter the code your app shows now"
        raise ApplicationError(message, problems=[Problem(message, field="code")])
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = recovery_codes_replace(user=user, tell=False)
        account_changed(user=user, change="An authenticator app was set up for two-factor sign-in")
    return device, codes


def recovery_codes_replace(*, user: User, tell: bool = True) -> list[str]:
    """New one-time recovery codes for this person (any earlier ones stop working); they are emailed that it
    happened (`tell=False` when a larger change says so itself)."""
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
        codes = [StaticToken.random_token() for _ in range(settings.TWO_FACTOR_RECOVERY_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
        if tell:
            account_changed(user=user, change="New recovery codes were made for two-factor sign-in")
    return codes


def password_changed(*, user: User, ip_address: str | None = None) -> None:
    """After a password reset: the person is emailed, and failed sign-ins against the account (and from the
    address they reset it from) no longer lock them out."""
    account_changed(user=user, change="Your password was changed")
    axes_reset(username=user.email, ip=ip_address or None, ip_or_username=bool(ip_address))


def account_changed(*, user: User, change: str) -> None:
    """Tell the person by email that how they sign in changed (two-factor turned on or off, new recovery codes,
    a new password), so someone else doing it with their session or password does not go unseen."""
    at = timezone.now()
    notify(
        event=Event.ACCOUNT_CHANGED,
        recipients=[user],
        context={
            "change": change,
            "at": govuk_datetime(at),
            "email": user.email,
            "reset_path": reverse("password_reset"),
        },
        key=f"{Event.ACCOUNT_CHANGED}:{user.pk}:{at.timestamp()}:{change}",
    )


def two_factor_verify(*, user: User, code: str, recovery: bool = False) -> TOTPDevice | StaticDevice:
    """The device that accepts `code` (the app's current code, or an unused recovery code, which is then used up).
    ApplicationError otherwise; the devices slow down repeated wrong guesses (django-otp's throttling)."""
    code = "".join(code.split()).lower() if recovery else "".join(code.split())
    device = recovery_device(user) if recovery else totp_device(user)
    if device is None:
        raise ApplicationError("You have no recovery codes" if recovery else "You have not set up an authenticator app")
    _refuse_while_throttled(device)
    if not device.verify_token(code):
        message = (
            "The recovery code is not correct or has been used"
            if recovery
            else "The code is not correct or has expired. Enter the code your app shows now"
        )
        raise ApplicationError(message, problems=[Problem(message, field="code")])
    return device


def two_factor_turn_off(*, user: User, code: str) -> None:
    """Council users may stop using two-factor sign-in, with a code from their app (so a session left open is not
    enough), and are emailed that it happened; those who must use it cannot."""
    if two_factor_required(user):
        raise ApplicationError("Your role needs two-factor sign-in, so it cannot be turned off")
    two_factor_verify(user=user, code=code)
    with transaction.atomic():  # the app and its recovery codes go together, or neither does
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        account_changed(user=user, change="Two-factor sign-in was turned off")


def totp_device_install(*, user: User, key: str) -> TOTPDevice:
    """A confirmed authenticator app with a known secret (hex), for demo accounts whose secret is printed so
    anyone trying the demo can add it to an app. Idempotent."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True, key=key).first()
    if device is None:
        with transaction.atomic():
            TOTPDevice.objects.filter(user=user).delete()
            device = TOTPDevice.objects.create(user=user, name="Demo authenticator app", key=key, confirmed=True)
    return device


# --- Account emails ---------------------------------------------------------------------------------------


def password_reset_request(*, email: str) -> PasswordResetRequest:
    """Record that a reset was asked for (the request's only work, the same whether or not an account exists);
    a worker then handles it (`password_reset_handle`), or the sweep does if the broker lost the message."""
    return PasswordResetRequest.objects.create(email=email)


def password_reset_handle(*, request_id: int) -> int:
    """Look for the account, put its email in the outbox, and forget the request, in one transaction: a request
    is handled once, by whichever of the worker and the sweep locks it first."""
    with transaction.atomic():
        request = PasswordResetRequest.objects.select_for_update(skip_locked=True).filter(pk=request_id).first()
        if request is None:
            return 0
        sent = password_reset_send(email=request.email)
        request.delete()
    return sent


def password_reset_sweep(*, older_than: timedelta) -> int:
    """Handle every request still waiting after `older_than` (the broker lost its message, or no worker ran)."""
    waiting = PasswordResetRequest.objects.filter(requested_at__lt=timezone.now() - older_than).values_list(
        "pk", flat=True
    )
    return sum(password_reset_handle(request_id=pk) for pk in list(waiting))


def password_reset_send(*, email: str) -> int:
    """Put a password-reset email in the outbox for each active account with this address (none, usually one).

    Runs in a worker (through `password_reset_handle`), never in the request, so the page's response is the same
    — in content and in time — whether or not an account exists."""
    from django.contrib.auth.forms import PasswordResetForm

    sent = 0
    for user in PasswordResetForm().get_users(email):
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        token = default_token_generator.make_token(user)
        with transaction.atomic():
            sent += len(
                notify(
                    event=Event.PASSWORD_RESET,
                    recipients=[user],
                    context={
                        "reset_path": reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token}),
                        "email": user.email,
                        "valid_days": settings.PASSWORD_RESET_TIMEOUT // 86400,
                    },
                    key=f"{Event.PASSWORD_RESET}:{user.pk}:{token}",
                )
            )
    return sent

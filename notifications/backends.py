"""Email backends and the one place that decides whether a delivery failure is worth retrying.

SMTP (Django's own backend, configured from EMAIL_*) is the default; the console backend serves the embedded
demo; `GovukNotifyEmailBackend` sends through GOV.UK Notify when EMAIL_BACKEND names it.
"""

from __future__ import annotations

import smtplib
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

NOTIFICATION_ID_HEADER = "X-LDF-Notification"


class PermanentDeliveryError(Exception):
    """The provider refused the message for good (bad address, bad credentials): retrying cannot help."""


class TransientDeliveryError(OSError):
    """The provider could not take the message now (rate limit, outage): try again later."""


def is_permanent(error: BaseException) -> bool:
    """Whether a failed delivery must become `failed` at once rather than be retried.

    smtplib's exceptions are all OSError, so "retry OSError" alone would retry a refused recipient forever.
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        # Greylisting answers RCPT with 4xx: that one is worth another go; a 5xx refusal is final.
        codes = [code for code, _message in error.recipients.values()]
        return not codes or any(code >= 500 for code in codes)
    if isinstance(error, smtplib.SMTPAuthenticationError | smtplib.SMTPNotSupportedError):
        return True
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    if isinstance(error, PermanentDeliveryError):
        return True
    # OSError: connection refused or reset, timeouts, a server that hung up, TransientDeliveryError.
    # Anything else (a template error, a bug) would fail the same way every time.
    return not isinstance(error, OSError)


def describe(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        details = "; ".join(
            f"{address}: {code} {message.decode(errors='replace') if isinstance(message, bytes) else message}"
            for address, (code, message) in error.recipients.items()
        )
        return f"Recipient refused: {details}"
    if isinstance(error, smtplib.SMTPResponseException):
        message = error.smtp_error
        text = message.decode(errors="replace") if isinstance(message, bytes) else str(message)
        return f"{type(error).__name__}: {error.smtp_code} {text}"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


class GovukNotifyEmailBackend(BaseEmailBackend):
    """Send email through GOV.UK Notify's API with one generic template.

    The Notify template must contain just `((subject))` as its subject and `((body))` as its body; the plain-text
    part of each message fills them. Settings: NOTIFICATIONS_GOVUK_NOTIFY_API_KEY, ..._TEMPLATE_ID and
    ..._BASE_URL (only ever changed for tests, which point it at a local stub server).
    """

    def __init__(self, fail_silently: bool = False, **kwargs: object) -> None:
        super().__init__(fail_silently=fail_silently)
        self.api_key = settings.NOTIFICATIONS_GOVUK_NOTIFY_API_KEY
        self.template_id = settings.NOTIFICATIONS_GOVUK_NOTIFY_TEMPLATE_ID
        self.base_url = settings.NOTIFICATIONS_GOVUK_NOTIFY_BASE_URL
        if not (self.api_key and self.template_id):
            raise ImproperlyConfigured(
                "Set NOTIFICATIONS_GOVUK_NOTIFY_API_KEY and NOTIFICATIONS_GOVUK_NOTIFY_TEMPLATE_ID to send through "
                "GOV.UK Notify"
            )
        self.client = None

    def open(self) -> bool:
        if self.client is None:
            from notifications_python_client.notifications import NotificationsAPIClient

            self.client = NotificationsAPIClient(self.api_key, base_url=self.base_url, timeout=settings.EMAIL_TIMEOUT)
            return True
        return False

    def close(self) -> None:
        self.client = None

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        from notifications_python_client.errors import APIError

        created = self.open()
        sent = 0
        try:
            for message in email_messages:
                for address in message.to:
                    try:
                        self.client.send_email_notification(
                            email_address=address,
                            template_id=self.template_id,
                            personalisation={"subject": message.subject, "body": message.body},
                            reference=message.extra_headers.get(NOTIFICATION_ID_HEADER) or None,
                        )
                    except APIError as error:
                        if self.fail_silently:
                            continue
                        # Notify: 400 bad request (e.g. address), 403 bad key → final; 429 and 5xx → later.
                        kind = (
                            TransientDeliveryError
                            if error.status_code in (429,) or error.status_code >= 500
                            else (PermanentDeliveryError)
                        )
                        raise kind(f"GOV.UK Notify {error.status_code}: {error.message}") from error
                sent += 1
        finally:
            if created:
                self.close()
        return sent

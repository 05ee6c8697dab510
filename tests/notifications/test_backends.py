"""Which failures are permanent, and the GOV.UK Notify backend against a local stub of Notify's API (never
the real service)."""

from __future__ import annotations

import json
import smtplib
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest

from notifications.backends import TransientDeliveryError, is_permanent
from notifications.choices import Event, Status
from notifications.models import Notification
from notifications.services import notification_deliver, notify
from tests.factories import make_user


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (smtplib.SMTPRecipientsRefused({"a@example.test": (550, b"User unknown")}), True),
        (smtplib.SMTPRecipientsRefused({"a@example.test": (450, b"Greylisted, try later")}), False),
        (smtplib.SMTPAuthenticationError(535, b"Authentication failed"), True),
        (smtplib.SMTPSenderRefused(553, b"Sender not allowed", "noreply@example.test"), True),
        (smtplib.SMTPDataError(451, b"Try again later"), False),
        (smtplib.SMTPDataError(554, b"Message rejected as spam"), True),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), False),
        (ConnectionRefusedError(111, "Connection refused"), False),
        (TimeoutError("timed out"), False),
        (TransientDeliveryError("GOV.UK Notify 500"), False),
        (ValueError("a template bug"), True),
    ],
)
def test_which_failures_are_permanent(error, permanent):
    # smtplib's exceptions are OSError, so retrying "OSError" alone would retry a refused recipient forever.
    assert isinstance(error, OSError) or not isinstance(error, smtplib.SMTPException)
    assert is_permanent(error) is permanent


SERVICE_ID = str(uuid.uuid4())
SECRET = str(uuid.uuid4())
TEMPLATE_ID = str(uuid.uuid4())


class NotifyStub(ThreadingHTTPServer):
    """Answers POST /v2/notifications/email like GOV.UK Notify, checking the JSON Web Token as Notify does."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), NotifyHandler)
        self.requests: list[dict] = []
        self.answer = 201

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class NotifyHandler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def reply(self, status: int, body: dict) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        token = self.headers.get("Authorization", "").removeprefix("Bearer ")
        try:
            claims = jwt.decode(token, SECRET, algorithms=["HS256"])
        except jwt.PyJWTError as error:
            return self.reply(403, {"errors": [{"error": "AuthError", "message": str(error)}], "status_code": 403})
        if claims.get("iss") != SERVICE_ID or self.path != "/v2/notifications/email":
            return self.reply(403, {"errors": [{"error": "AuthError", "message": "bad issuer"}], "status_code": 403})
        self.server.requests.append(body)
        status = self.server.answer
        if status == 201:
            return self.reply(201, {"id": str(uuid.uuid4()), "reference": body.get("reference"), "content": {}})
        message = {400: "email_address Not a valid email address", 500: "Internal server error"}[status]
        return self.reply(status, {"errors": [{"error": "Error", "message": message}], "status_code": status})


@pytest.fixture
def notify_stub(settings):
    server = NotifyStub()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.EMAIL_BACKEND = "notifications.backends.GovukNotifyEmailBackend"
    settings.NOTIFICATIONS_GOVUK_NOTIFY_API_KEY = f"ldf_test-{SERVICE_ID}-{SECRET}"
    settings.NOTIFICATIONS_GOVUK_NOTIFY_TEMPLATE_ID = TEMPLATE_ID
    settings.NOTIFICATIONS_GOVUK_NOTIFY_BASE_URL = server.url
    settings.SITE_URL = "https://bids.example.gov.uk"
    yield server
    server.shutdown()
    server.server_close()


def record(user) -> Notification:
    [pk] = notify(
        event=Event.BID_AWARDED,
        recipients=[user],
        context={
            "reference": "LDF-R6-0003",
            "title": "Repairs front door",
            "round": "Round 6",
            "lead_council": "Leadshire",
            "amount_awarded": "75000.00",
            "conditions": "",
            "bid_path": "/bids/LDF-R6-0003/",
        },
        key="awarded:3",
    )
    return Notification.objects.get(pk=pk)


@pytest.mark.django_db
def test_notify_backend_sends_the_subject_and_body_through_one_generic_template(notify_stub):
    user = make_user(email="lead@leadshire.example.test")
    notification = record(user)

    outcome = notification_deliver(notification_id=notification.pk)

    assert outcome.status == Status.SENT
    [request] = notify_stub.requests
    assert request["email_address"] == "lead@leadshire.example.test"
    assert request["template_id"] == TEMPLATE_ID
    assert request["reference"] == str(notification.pk)
    assert request["personalisation"]["subject"] == "LDF-R6-0003: your bid has been awarded funding"
    assert "has awarded £75,000" in request["personalisation"]["body"]
    assert "https://bids.example.gov.uk/bids/LDF-R6-0003/" in request["personalisation"]["body"]


@pytest.mark.django_db
def test_notify_refusing_the_address_fails_at_once(notify_stub):
    notify_stub.answer = 400
    notification = record(make_user())

    outcome = notification_deliver(notification_id=notification.pk)

    notification.refresh_from_db()
    assert outcome.status == Status.FAILED
    assert (notification.status, notification.attempts) == (Status.FAILED, 1)
    assert "GOV.UK Notify 400" in notification.last_error
    assert "Not a valid email address" in notification.last_error


@pytest.mark.django_db
def test_notify_being_down_is_retried_later(notify_stub):
    notify_stub.answer = 500
    notification = record(make_user())

    outcome = notification_deliver(notification_id=notification.pk)

    notification.refresh_from_db()
    assert outcome.retry_in is not None
    assert (notification.status, notification.attempts) == (Status.PENDING, 1)
    assert "GOV.UK Notify 500" in notification.last_error


@pytest.mark.django_db
def test_a_wrong_notify_key_is_an_authentication_failure_and_fails_at_once(notify_stub, settings):
    settings.NOTIFICATIONS_GOVUK_NOTIFY_API_KEY = f"ldf_test-{SERVICE_ID}-{uuid.uuid4()}"
    notification = record(make_user())

    assert notification_deliver(notification_id=notification.pk).status == Status.FAILED
    notification.refresh_from_db()
    assert "GOV.UK Notify 403" in notification.last_error
    assert notify_stub.requests == []


@pytest.mark.django_db
def test_notify_without_a_key_is_a_configuration_error_shown_to_staff(settings):
    settings.EMAIL_BACKEND = "notifications.backends.GovukNotifyEmailBackend"
    settings.NOTIFICATIONS_GOVUK_NOTIFY_API_KEY = ""
    notification = record(make_user())

    assert notification_deliver(notification_id=notification.pk).status == Status.FAILED
    notification.refresh_from_db()
    assert "NOTIFICATIONS_GOVUK_NOTIFY_API_KEY" in notification.last_error

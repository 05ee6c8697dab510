"""Password reset goes through the notifications outbox, from a worker: the page's response is the same in
content and in work done (one request row written, one message to the broker) whether or not an account has the
address; a request whose message the broker loses is handled by the sweep; and the email that arrives has a
link that lets the person choose a new password."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from councils.models import PasswordResetRequest
from notifications.choices import Event, Status
from notifications.models import Notification
from notifications.services import notification_deliver
from tests.factories import make_user

pytestmark = [pytest.mark.django_db, pytest.mark.two_factor]


@pytest.fixture
def published(monkeypatch):
    """What the request hands to the broker (the tasks are then run by the test, as a worker would)."""
    calls: list[tuple[str, tuple]] = []
    monkeypatch.setattr(
        "councils.tasks.password_reset_handle_task.apply_async",
        lambda args, **kwargs: calls.append(("councils.password_reset_handle", tuple(args))),
    )
    monkeypatch.setattr(
        "notifications.tasks.deliver_notification.apply_async",
        lambda args, **kwargs: calls.append(("notifications.deliver", tuple(args))),
    )
    return calls


def request_reset(email: str):
    return Client().post(reverse("password_reset"), {"email": email})


def test_the_response_is_the_same_whether_or_not_an_account_exists(published, django_assert_num_queries):
    make_user(email="known@council.example.test")
    with django_assert_num_queries(1):  # the request's row, written whoever asks
        known = request_reset("known@council.example.test")
    known_calls = list(published)
    published.clear()
    with django_assert_num_queries(1):
        unknown = request_reset("nobody@council.example.test")

    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert known.content == unknown.content
    # The request did the same work either way: one row, one message to the broker, no account looked up, no
    # outbox row, no mail sent.
    assert (
        [name for name, _args in known_calls]
        == [name for name, _args in published]
        == ["councils.password_reset_handle"]
    )
    assert PasswordResetRequest.objects.count() == 2
    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_the_worker_puts_the_email_in_the_outbox_and_its_link_resets_the_password(
    published, django_capture_on_commit_callbacks
):
    from councils.tasks import password_reset_handle_task

    user = make_user(email="known@council.example.test")
    request_reset(user.email)
    [(_name, (request_id,))] = published
    with django_capture_on_commit_callbacks(execute=True):
        assert password_reset_handle_task(request_id) == 1
    assert not PasswordResetRequest.objects.exists()  # handled once, then forgotten
    assert password_reset_handle_task(request_id) == 0
    row = Notification.objects.get(event=Event.PASSWORD_RESET)
    assert (row.recipient, row.status) == (user, Status.PENDING)
    assert ("notifications.deliver", (row.pk,)) in published

    notification_deliver(notification_id=row.pk)
    [message] = mail.outbox
    assert message.to == [user.email]
    assert message.subject == "Reset your Local Digital Fund password"
    link = re.search(r"https?://\S+/password-reset/\S+/", message.body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    client = Client()
    form = client.get(f"/{path}", follow=True)
    assert "new_password1" in form.content.decode()
    # Passwords that do not match are refused with the reason (400, as on every page), and nothing changes.
    mismatch = client.post(
        form.redirect_chain[-1][0], {"new_password1": "a-new-long-passphrase", "new_password2": "another-passphrase"}
    )
    assert mismatch.status_code == 400 and "govuk-error-summary" in mismatch.content.decode()
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": "a-new-long-passphrase", "new_password2": "a-new-long-passphrase"}
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-new-long-passphrase")


def test_no_account_no_email(published):
    from councils.tasks import password_reset_handle_task, password_reset_requested

    request_reset("nobody@council.example.test")
    [(_name, (request_id,))] = published
    assert password_reset_handle_task(request_id) == 0
    assert not Notification.objects.exists() and not PasswordResetRequest.objects.exists()
    # A message queued before requests were recorded is still handled.
    assert password_reset_requested("nobody@council.example.test") == 0


def test_a_request_whose_message_the_broker_lost_is_handled_by_the_sweep(published, monkeypatch):
    """Redis restarted without its data before a worker took the message: the request's row is still there,
    and the sweep (every minute, for requests a minute old) puts the email in the outbox, once."""
    from datetime import timedelta

    from django.utils import timezone

    from councils.tasks import PASSWORD_RESET_SWEEP_AFTER, sweep_password_resets

    user = make_user(email="known@council.example.test")
    request_reset(user.email)
    published.clear()  # the broker lost it
    assert sweep_password_resets() == 0  # too young: its message may yet come
    PasswordResetRequest.objects.update(requested_at=timezone.now() - PASSWORD_RESET_SWEEP_AFTER - timedelta(1))
    assert sweep_password_resets() == 1
    assert sweep_password_resets() == 0
    assert Notification.objects.get(event=Event.PASSWORD_RESET).recipient == user
    assert not PasswordResetRequest.objects.exists()


def test_with_the_broker_down_a_reset_tries_it_once_whether_or_not_the_account_exists(
    monkeypatch, django_capture_on_commit_callbacks
):
    """Each try at a broker that does not answer costs its timeout: the first reset to find it down leaves it alone
    for a while, so later ones (and the email an existing account's reset makes) do not try it. An existing
    account's reset no longer costs a second timeout that an unknown address's does not."""
    tries: list[str] = []

    def down(name):
        def publish(*args, **kwargs):
            tries.append(name)
            raise ConnectionError("the broker does not answer")

        return publish

    monkeypatch.setattr("councils.tasks.password_reset_handle_task.apply_async", down("reset"))
    monkeypatch.setattr("notifications.tasks.deliver_notification.apply_async", down("email"))
    make_user(email="known@council.example.test")
    with django_capture_on_commit_callbacks(execute=True):
        request_reset("nobody@council.example.test")
    assert tries == ["reset"]
    for email in ("known@council.example.test", "nobody@council.example.test", "known@council.example.test"):
        with django_capture_on_commit_callbacks(execute=True):
            assert request_reset(email).status_code == 302
        assert tries == ["reset"], email
    # Handled from the request all the same: the existing account's email waits in the outbox for the sweep.
    assert Notification.objects.filter(event=Event.PASSWORD_RESET, status=Status.PENDING).exists()
    assert not PasswordResetRequest.objects.exists()

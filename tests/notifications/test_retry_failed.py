"""After a mail outage longer than the retry window: failed messages say why they failed (refused for good, or
gave up after retrying), staff filter on it, and send again everything that failed since a moment — from the
outbox (choose, confirm, retry) or with manage.py notifications_retry_failed."""

from __future__ import annotations

import smtplib
from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from notifications.choices import Event, Failure, Status
from notifications.models import Notification
from notifications.services import notification_deliver, notify, retry_delay
from tests.factories import make_user

pytestmark = pytest.mark.django_db

CONTEXT = {"reference": "LDF-R6-0007", "title": "Repairs", "final_score": "70.00", "bid_path": "/bids/LDF-R6-0007/"}


def failed(user, *, failure: str, minutes_ago: int, n: int = 1) -> list[Notification]:
    rows = []
    for index in range(n):
        [pk] = notify(
            event=Event.BID_SCORED, recipients=[user], context=CONTEXT, key=f"f:{failure}:{minutes_ago}:{index}"
        )
        Notification.objects.filter(pk=pk).update(
            status=Status.FAILED,
            failure=failure,
            failed_at=timezone.now() - timedelta(minutes=minutes_ago),
            attempts=10,
            last_error="Gave up after 10 attempts. 451" if failure == Failure.GAVE_UP else "550 User unknown",
        )
        rows.append(Notification.objects.get(pk=pk))
    return rows


def test_a_refused_message_and_an_exhausted_one_fail_differently(settings):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 1
    user = make_user()
    [refused] = notify(event=Event.BID_SCORED, recipients=[user], context=CONTEXT, key="refused")
    [outage] = notify(event=Event.BID_SCORED, recipients=[user], context=CONTEXT, key="outage")
    permanent = smtplib.SMTPRecipientsRefused({user.email: (550, b"User unknown")})
    with mock.patch("django.core.mail.EmailMessage.send", side_effect=permanent):
        notification_deliver(notification_id=refused)
    with mock.patch("django.core.mail.EmailMessage.send", side_effect=ConnectionRefusedError(111, "refused")):
        notification_deliver(notification_id=outage)
    refused_row, outage_row = Notification.objects.get(pk=refused), Notification.objects.get(pk=outage)
    assert (refused_row.status, refused_row.failure) == (Status.FAILED, Failure.PERMANENT)
    assert (outage_row.status, outage_row.failure) == (Status.FAILED, Failure.GAVE_UP)
    assert refused_row.failed_at is not None and outage_row.failed_at is not None


def test_the_default_retry_window_outlasts_an_hour_long_outage():
    from django.conf import settings

    window = sum(retry_delay(attempt) for attempt in range(1, settings.NOTIFICATIONS_MAX_ATTEMPTS))
    assert window >= 3600
    assert max(retry_delay(attempt) for attempt in range(1, 20)) < 3600, "below Redis's visibility timeout"


def test_staff_filter_the_outbox_by_why_a_message_failed(client, staff_user):
    person = make_user()
    failed(person, failure=Failure.GAVE_UP, minutes_ago=10, n=2)
    failed(person, failure=Failure.PERMANENT, minutes_ago=10)
    client.force_login(staff_user)
    outbox = reverse("notifications:staff_list")
    gave_up = client.get(outbox, {"status": "failed_gave_up"}).content.decode()
    assert "2 notifications" in gave_up and "Gave up after retrying" in gave_up
    refused = client.get(outbox, {"status": "failed_permanent"}).content.decode()
    assert "1 notification<" in refused and "Refused by the mail server" in refused
    assert "3 notifications" in client.get(outbox, {"status": "failed"}).content.decode()


def since_data(moment, **extra) -> dict:
    local = timezone.localtime(moment)
    return {
        "since_day": local.day,
        "since_month": local.month,
        "since_year": local.year,
        "since_time": f"{local:%H:%M}",
        **extra,
    }


def test_staff_retry_everything_that_failed_since_a_moment_after_confirming(
    client, staff_user, queued, django_capture_on_commit_callbacks
):
    person = make_user()
    during = failed(person, failure=Failure.GAVE_UP, minutes_ago=30, n=3)
    refused = failed(person, failure=Failure.PERMANENT, minutes_ago=30)
    before = failed(person, failure=Failure.GAVE_UP, minutes_ago=600)
    client.force_login(staff_user)
    page = reverse("notifications:retry_failed")
    assert "Messages that failed since" in client.get(page).content.decode()

    outage_began = timezone.now() - timedelta(minutes=60)
    confirm = client.post(page, since_data(outage_began, failure=Failure.GAVE_UP))
    assert confirm.status_code == 200
    html = confirm.content.decode()
    assert "Send 3 failed messages again?" in html
    assert Notification.objects.filter(status=Status.FAILED).count() == 5, "nothing changes before confirming"

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(page, since_data(outage_began, failure=Failure.GAVE_UP, confirm="yes"), follow=True)
    assert "Sending 3 failed messages again" in done.content.decode()
    for row in during:
        row.refresh_from_db()
        assert (row.status, row.attempts, row.failure, row.failed_at) == (Status.PENDING, 0, "", None)
    assert sorted(queued) == sorted(row.pk for row in during)
    for row in [*refused, *before]:
        row.refresh_from_db()
        assert row.status == Status.FAILED


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"since_day": "", "since_month": "", "since_year": ""}, "Enter the date the failures started"),
        ({"since_day": "31", "since_month": "2", "since_year": "2026"}, "must be a real date"),
        ({"since_day": "1", "since_month": "1", "since_year": "2026", "since_time": "25:00"}, "24-hour clock"),
        ({"since_day": "1", "since_month": "1", "since_year": "2999"}, "must be in the past"),
        ({"since_day": "1", "since_month": "1", "since_year": "2026", "failure": "lost"}, "Select which failed"),
    ],
)
def test_a_bad_moment_is_explained(client, staff_user, queued, data, message):
    client.force_login(staff_user)
    response = client.post(reverse("notifications:retry_failed"), {**data, "confirm": "yes"})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "govuk-error-summary" in response.content.decode()
    assert queued == []


def test_the_bulk_retry_is_not_found_for_anyone_but_programme_staff(client, queued):
    [row] = failed(make_user(), failure=Failure.GAVE_UP, minutes_ago=5)
    client.force_login(make_user())
    page = reverse("notifications:retry_failed")
    assert client.get(page).status_code == 404
    data = since_data(timezone.now() - timedelta(hours=1), confirm="yes")
    assert client.post(page, data).status_code == 404
    row.refresh_from_db()
    assert row.status == Status.FAILED


def test_the_command_retries_what_failed_since_with_progress(queued, django_capture_on_commit_callbacks):
    person = make_user()
    during = failed(person, failure=Failure.GAVE_UP, minutes_ago=30, n=2)
    failed(person, failure=Failure.GAVE_UP, minutes_ago=600)
    since = timezone.localtime(timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")

    dry = StringIO()
    call_command("notifications_retry_failed", "--since", since, "--dry-run", stdout=dry)
    assert "2 message(s)" in dry.getvalue() and "would be sent again" in dry.getvalue()
    assert Notification.objects.filter(status=Status.FAILED).count() == 3

    out, err = StringIO(), StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("notifications_retry_failed", "--since", since, "--kind", "gave-up", stdout=out, stderr=err)
    assert "Queued 2 message(s)" in out.getvalue()
    assert "Retrying: 2 of 2" in out.getvalue()  # progress, a line per batch
    assert sorted(queued) == sorted(row.pk for row in during)
    assert Notification.objects.filter(status=Status.FAILED).count() == 1


@pytest.mark.parametrize(("since", "message"), [("yesterday", "not a date and time"), ("2999-01-01", "in the future")])
def test_the_command_explains_bad_input(since, message):
    with pytest.raises(CommandError, match=message):
        call_command("notifications_retry_failed", "--since", since)

"""The Notifications page (own messages, unread marked, preference) and the staff outbox (filters, retry)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.choices import Channel, Event, Status
from notifications.models import Notification, NotificationPreference
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def add(user, n: int = 1, *, event: str = Event.BID_SUBMITTED, status: str = Status.SENT, **fields) -> list:
    now = timezone.now()
    rows = [
        Notification(
            event=event,
            recipient=user,
            template=f"emails/{event}",
            context={
                "reference": f"LDF-R6-{index:04d}",
                "title": f"Bid {index}",
                "round": "Round 6",
                "lead_council": "Leadshire",
                "audience": "lead",
                "amount_requested": "60000.00",
                "bid_path": f"/bids/LDF-R6-{index:04d}/",
                "reason": "Withdrawn for now",
            },
            dedupe_key=f"{event}:{user.pk}:{index}:{now.timestamp()}",
            reference=f"LDF-R6-{index:04d}",
            status=status,
            created_at=now - timedelta(minutes=index),
            **fields,
        )
        for index in range(1, n + 1)
    ]
    return Notification.objects.bulk_create(rows)


def test_the_notifications_page_lists_only_your_own_newest_first_with_unread_marked(client):
    me, someone_else = make_user(), make_user()
    add(me, 2)
    add(someone_else, 1, event=Event.BID_WITHDRAWN)
    Notification.objects.filter(recipient=me, reference="LDF-R6-0002").update(read_at=timezone.now())
    client.force_login(me)

    response = client.get(reverse("notifications:list"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "LDF-R6-0001: we have received your bid" in html
    assert html.index("LDF-R6-0001") < html.index("LDF-R6-0002")  # newest first
    assert "You have 1 unread notification." in html
    assert html.count(">Unread<") == 1
    assert html.count(">Read<") == 1
    assert "withdrawn" not in html.lower()


def test_the_notifications_page_needs_signing_in(client):
    response = client.get(reverse("notifications:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("size", [3, 40])
def test_the_notifications_page_runs_the_same_queries_however_many_there_are(
    client, django_assert_max_num_queries, size
):
    me = make_user()
    add(me, size)
    client.force_login(me)
    with django_assert_max_num_queries(7):
        assert client.get(reverse("notifications:list")).status_code == 200


def test_opening_a_notification_shows_it_and_marks_it_read(client):
    me = make_user()
    [row] = add(me, status=Status.PENDING)
    client.force_login(me)

    response = client.get(reverse("notifications:detail", args=[row.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "LDF-R6-0001: we have received your bid" in html
    assert "Your reference is LDF-R6-0001" in html
    assert 'href="/bids/LDF-R6-0001/"' in html
    row.refresh_from_db()
    assert row.read_at is not None


def test_someone_elses_notification_is_not_found(client):
    [row] = add(make_user())
    client.force_login(make_user())
    assert client.get(reverse("notifications:detail", args=[row.pk])).status_code == 404
    row.refresh_from_db()
    assert row.read_at is None


def test_mark_all_as_read(client):
    me, other = make_user(), make_user()
    add(me, 3)
    add(other, 1)
    client.force_login(me)

    response = client.post(reverse("notifications:read_all"), follow=True)

    assert "Marked 3 notifications as read" in response.content.decode()
    assert not Notification.objects.filter(recipient=me, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=other, read_at__isnull=True).count() == 1
    assert client.get(reverse("notifications:read_all")).status_code == 405


def test_switching_reminder_emails_off_and_on(client):
    me = make_user()
    client.force_login(me)

    response = client.post(reverse("notifications:preferences"), {"reminder_emails": "no"}, follow=True)
    assert "We will not email you reminders" in response.content.decode()
    assert NotificationPreference.objects.get(user=me).reminder_emails is False
    assert 'value="no" checked' in client.get(reverse("notifications:list")).content.decode()

    client.post(reverse("notifications:preferences"), {"reminder_emails": "yes"})
    assert NotificationPreference.objects.get(user=me).reminder_emails is True


@pytest.mark.parametrize("data", [{}, {"reminder_emails": "sometimes"}])
def test_a_preference_without_a_choice_is_refused_with_a_clear_message(client, data):
    me = make_user()
    client.force_login(me)

    response = client.post(reverse("notifications:preferences"), data)

    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html
    assert "Select whether you want reminder emails" in html
    assert "govuk-form-group--error" in html
    assert not NotificationPreference.objects.filter(user=me).exists()


# --- Staff outbox ---------------------------------------------------------------------------------------


def test_the_outbox_is_not_found_for_anyone_but_programme_staff(client):
    client.force_login(make_user())
    assert client.get(reverse("notifications:staff_list")).status_code == 404
    [row] = add(make_user(), status=Status.FAILED)
    assert client.post(reverse("notifications:retry", args=[row.pk])).status_code == 404
    row.refresh_from_db()
    assert row.status == Status.FAILED


def test_staff_filter_the_outbox_by_status_event_and_reference(client, staff_user):
    person = make_user(email="council.person@example.test")
    add(person, 2, status=Status.SENT)
    add(person, 1, status=Status.FAILED, event=Event.BID_WITHDRAWN, last_error="550 5.1.1 User unknown", attempts=1)
    add(person, 1, status=Status.SENT, event=Event.ROUND_CLOSING, channel=Channel.IN_APP)
    client.force_login(staff_user)

    everything = client.get(reverse("notifications:staff_list")).content.decode()
    assert "4 notifications" in everything
    assert "In-app only" in everything

    failed = client.get(reverse("notifications:staff_list"), {"status": "failed"}).content.decode()
    assert "1 notification<" in failed
    assert "550 5.1.1 User unknown" in failed
    assert "council.person@example.test" in failed
    assert ">Retry<" in failed

    by_event = client.get(reverse("notifications:staff_list"), {"event": "bid_submitted"}).content.decode()
    assert "2 notifications" in by_event
    assert ">Retry<" not in by_event

    by_reference = client.get(reverse("notifications:staff_list"), {"reference": "ldf-r6-0002"}).content.decode()
    assert "1 notification<" in by_reference

    # One filter refused: the page says why, and the filters it accepted still apply (not all rows).
    mixed = client.get(reverse("notifications:staff_list"), {"status": "lost", "event": "bid_withdrawn"})
    assert mixed.status_code == 400
    assert "Select a status from the list" in mixed.content.decode()
    assert "1 notification<" in mixed.content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"status": "lost"}, "Select a status from the list"),
        ({"event": "party"}, "Select an event from the list"),
        ({"status": ["sent", "failed"]}, "Choose one status, not several"),
    ],
)
def test_a_bad_outbox_filter_is_explained_not_a_crash(client, staff_user, query, message):
    add(make_user(), 2)
    client.force_login(staff_user)
    response = client.get(reverse("notifications:staff_list"), query)
    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.parametrize("size", [3, 40])
def test_the_outbox_runs_the_same_queries_however_many_rows_there_are(
    client, staff_user, django_assert_max_num_queries, size
):
    for _ in range(size // 3 + 1):
        add(make_user(), 3, status=Status.FAILED)
    client.force_login(staff_user)
    with django_assert_max_num_queries(6):
        assert client.get(reverse("notifications:staff_list"), {"status": "failed"}).status_code == 200


def test_staff_retry_a_failed_notification(client, staff_user, queued):
    [row] = add(make_user(), status=Status.FAILED, attempts=5, last_error="Gave up after 5 attempts. 451")
    client.force_login(staff_user)
    back = reverse("notifications:staff_list") + "?status=failed"

    response = client.post(reverse("notifications:retry", args=[row.pk]), {"next": back})

    assert response.status_code == 302
    assert response["Location"] == back
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.PENDING, 0)
    assert "is waiting to be sent again" in client.get(back).content.decode()


def test_retrying_what_has_not_failed_changes_nothing_and_says_why(client, staff_user, queued):
    [row] = add(make_user(), status=Status.SENT)
    client.force_login(staff_user)

    response = client.post(
        reverse("notifications:retry", args=[row.pk]), {"next": "https://evil.example/"}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("notifications:staff_list")
    assert "This notification is sent, so it cannot be retried" in response.content.decode()
    row.refresh_from_db()
    assert row.status == Status.SENT
    assert queued == []


def test_the_outbox_says_how_long_emails_have_waited_and_when_they_should_have_gone(client, staff_user):
    """A stopped worker or scheduler shows on the outbox: how many wait, since when, and how many the sweep
    should have sent by now (with what to check)."""
    client.force_login(staff_user)
    assert 'id="waiting"' not in client.get(reverse("notifications:staff_list")).content.decode()
    fresh = add(make_user(), 2, status=Status.PENDING)
    page = client.get(reverse("notifications:staff_list")).content.decode()
    assert "2 emails are waiting to be sent" in page and "should have gone by now" not in page
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Notification.objects.filter(pk=fresh[0].pk).update(created_at=an_hour_ago, next_attempt_at=an_hour_ago)
    page = client.get(reverse("notifications:staff_list")).content.decode()
    assert "1 of them should have gone by now" in page and "Celery worker and beat" in page

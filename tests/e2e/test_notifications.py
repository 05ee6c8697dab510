"""The Notifications pages and the staff outbox in a real browser, checked with axe-core at WCAG 2.2 AA,
including their error states, without JavaScript being needed."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from notifications.choices import Event, Status
from notifications.models import Notification
from tests.e2e.browser import assert_accessible, sign_in
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def make_notification(user, *, reference: str, status: str = Status.SENT, **fields) -> Notification:
    return Notification.objects.create(
        event=Event.BID_RETURNED,
        recipient=user,
        template="emails/bid_returned",
        context={
            "reference": reference,
            "title": "Repairs front door",
            "round": "Round 6",
            "lead_council": "Leadshire",
            "message": "Break the supplier costs down by phase.",
            "bid_path": f"/bids/{reference}/",
        },
        dedupe_key=f"browser:{reference}:{user.pk}",
        reference=reference,
        status=status,
        **fields,
    )


def test_a_council_member_reads_notifications_and_switches_reminders_off(new_page):
    member = make_user(email="member@leadshire.example.test")
    make_notification(member, reference="LDF-R6-0001")
    make_notification(member, reference="LDF-R6-0002")
    page = new_page()
    sign_in(page, member.email)

    page.goto("/notifications/")
    expect(page.get_by_role("heading", name="Notifications", exact=True)).to_be_visible()
    assert page.locator(".govuk-tag", has_text="Unread").count() == 2
    assert_accessible(page)

    # The current choice is shown selected; clear it to send the form with nothing chosen.
    page.evaluate("document.querySelectorAll('input[name=reminder_emails]').forEach(i => { i.checked = false })")
    page.get_by_role("button", name="Save preference").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert "Select whether you want reminder emails" in page.content()
    assert_accessible(page)

    page.get_by_label("Do not send me reminder emails").check()
    page.get_by_role("button", name="Save preference").click()
    expect(page.locator("main")).to_contain_text("We will not email you reminders")

    page.get_by_role("link", name="LDF-R6-0001: your bid has been returned for changes").click()
    expect(page.get_by_role("heading", name="LDF-R6-0001: your bid has been returned for changes")).to_be_visible()
    assert "Break the supplier costs down by phase." in page.content()
    assert_accessible(page)
    page.get_by_role("link", name="Back to notifications").click()
    assert page.locator(".govuk-tag", has_text="Unread").count() == 1


def test_staff_filter_the_outbox_and_retry_a_failed_message(new_page, staff_user):
    member = make_user(email="member@leadshire.example.test")
    make_notification(member, reference="LDF-R6-0003")
    make_notification(
        member, reference="LDF-R6-0004", status=Status.FAILED, attempts=1, last_error="Recipient refused: 550"
    )
    page = new_page()
    sign_in(page, staff_user.email)

    page.goto("/notifications/outbox/")
    page.get_by_label("Status").select_option("failed")
    page.get_by_role("button", name="Apply filters").click()
    assert "1 notification" in page.locator("caption").inner_text()
    assert_accessible(page)

    page.get_by_role("button", name="Retry").click()
    expect(page.locator("main")).to_contain_text("member@leadshire.example.test is waiting to be sent again")
    assert_accessible(page)
    assert Notification.objects.get(reference="LDF-R6-0004").status in (Status.PENDING, Status.SENT)

    page.goto("/notifications/outbox/?status=lost")
    assert "Select a status from the list" in page.content()
    assert_accessible(page)


def test_staff_send_again_every_message_that_failed_since_an_outage_began(new_page, staff_user):
    from datetime import timedelta

    from django.utils import timezone

    from notifications.choices import Failure

    member = make_user(email="member@leadshire.example.test")
    for number in (5, 6):
        make_notification(
            member,
            reference=f"LDF-R6-000{number}",
            status=Status.FAILED,
            failure=Failure.GAVE_UP,
            failed_at=timezone.now() - timedelta(minutes=20),
            attempts=10,
            last_error="Gave up after 10 attempts. Connection refused",
        )
    page = new_page()
    sign_in(page, staff_user.email)

    page.goto("/notifications/outbox/?status=failed_gave_up")
    assert "Gave up after retrying" in page.content()
    page.get_by_role("link", name="every message that failed since a date and time").click()
    expect(page.get_by_role("heading", name="Send failed messages again")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Year").fill("")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("main")).to_contain_text("Enter the date the failures started")
    assert_accessible(page)

    began = timezone.localtime(timezone.now() - timedelta(hours=1))
    page.get_by_label("Day").fill(str(began.day))
    page.get_by_label("Month").fill(str(began.month))
    page.get_by_label("Year").fill(str(began.year))
    page.get_by_label("Time").fill(f"{began:%H:%M}")
    page.get_by_label("Only those that gave up after retrying").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Send 2 failed messages again?")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Send 2 messages again").click()
    expect(page.locator("main")).to_contain_text("Sending 2 failed messages again")
    assert not Notification.objects.filter(status=Status.FAILED).exists()

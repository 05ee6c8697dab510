"""Project reminders: an offer not accepted (weekly), a report due within a week, and overdue; each once a day at
most (outbox keys), and none once the report is submitted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.choices import Event
from notifications.models import Notification
from projects.reminders import offer_reminders_send, report_reminders_send
from tests.factories.projects import accepted

pytestmark = pytest.mark.django_db


def test_an_offer_not_accepted_is_reminded_weekly_and_once_a_day(world):
    offered_on = timezone.localtime(world["project"].offered_at).date()
    lead_members = world["lead"].members.count()
    assert offer_reminders_send(on=offered_on + timedelta(days=3)) == 0
    assert offer_reminders_send(on=offered_on + timedelta(days=7)) == lead_members
    assert offer_reminders_send(on=offered_on + timedelta(days=7)) == 0  # beat ran twice that day
    assert offer_reminders_send(on=offered_on + timedelta(days=14)) == lead_members
    assert Notification.objects.filter(event=Event.OFFER_REMINDER).count() == 2 * lead_members


def test_reports_due_soon_then_overdue_each_once(world):
    project = accepted(world)
    first = project.reports.order_by("due_date").first()
    lead_members = world["lead"].members.count()
    assert report_reminders_send(on=first.due_date - timedelta(days=10)) == 0
    assert report_reminders_send(on=first.due_date - timedelta(days=5)) == lead_members
    assert report_reminders_send(on=first.due_date - timedelta(days=4)) == 0
    assert report_reminders_send(on=first.due_date + timedelta(days=1)) == lead_members
    assert report_reminders_send(on=first.due_date + timedelta(days=2)) == 0
    assert Notification.objects.filter(event=Event.REPORT_OVERDUE).count() == lead_members

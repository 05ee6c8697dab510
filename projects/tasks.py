"""Periodic project tasks (Celery beat, daily). Thin: the rules live in projects/reminders.py."""

from __future__ import annotations

from celery import shared_task

from projects.reminders import offer_reminders_send, report_reminders_send


@shared_task(name="projects.send_reminders", ignore_result=True)
def send_reminders() -> int:
    """Offers not yet accepted, reports due soon and overdue. Safe to run twice (outbox keys per day/date)."""
    return offer_reminders_send() + report_reminders_send()

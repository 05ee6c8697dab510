"""Periodic assessment tasks (Celery beat, daily). Thin: the rules live in assessments/reminders.py."""

from __future__ import annotations

from celery import shared_task

from assessments.reminders import assessment_reminders_send


@shared_task(name="assessments.send_assessment_reminders", ignore_result=True)
def send_assessment_reminders() -> int:
    return assessment_reminders_send()

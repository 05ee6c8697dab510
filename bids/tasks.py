"""Periodic bid tasks (Celery beat, daily). Thin: the rules live in bids/reminders.py."""

from __future__ import annotations

from celery import shared_task

from bids.reminders import round_closing_reminders_send


@shared_task(name="bids.send_round_closing_reminders", ignore_result=True)
def send_round_closing_reminders() -> int:
    return round_closing_reminders_send()

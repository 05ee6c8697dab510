"""Periodic bid and round tasks (Celery beat). Thin: the rules live in bids/reminders.py and bids/services.py."""

from __future__ import annotations

from celery import shared_task

from bids.reminders import clarification_reminders_send, round_closing_reminders_send
from bids.services import rounds_open_and_close_due


@shared_task(name="bids.send_round_closing_reminders", ignore_result=True)
def send_round_closing_reminders() -> int:
    return round_closing_reminders_send()


@shared_task(name="bids.send_clarification_reminders", ignore_result=True)
def send_clarification_reminders() -> int:
    return clarification_reminders_send()


@shared_task(name="bids.open_and_close_rounds", ignore_result=True)
def open_and_close_rounds() -> tuple[int, int]:
    """Every minute: rounds open and close at their times. Safe to run twice (each round is locked and checked)."""
    return rounds_open_and_close_due()

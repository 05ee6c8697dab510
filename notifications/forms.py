"""Forms for the Notifications pages: the reminder preference and the staff outbox filters."""

from __future__ import annotations

import re
from datetime import date, datetime

from django import forms
from django.utils import timezone

from notifications.choices import Event, Failure, Status

# The outbox's status filter: the three states, and failed split by why.
FAILED_PERMANENT = f"failed_{Failure.PERMANENT}"
FAILED_GAVE_UP = f"failed_{Failure.GAVE_UP}"


class PreferenceForm(forms.Form):
    reminder_emails = forms.ChoiceField(
        label="Reminder emails",
        choices=[("yes", "Send me reminder emails"), ("no", "Do not send me reminder emails")],
        widget=forms.RadioSelect,
        help_text="Reminders tell you when a round is about to close or an assessment is due. Receipts, "
        "invitations and decisions are always emailed.",
        error_messages={
            "required": "Select whether you want reminder emails",
            "invalid_choice": ("Select whether you want reminder emails"),
        },
    )


class OutboxFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Status",
        choices=[
            ("", "Any status"),
            *Status.choices,
            (FAILED_GAVE_UP, "Failed: gave up after retrying"),
            (FAILED_PERMANENT, "Failed: refused by the mail server"),
        ],
        required=False,
        error_messages={"invalid_choice": "Select a status from the list"},
    )
    event = forms.ChoiceField(
        label="Event",
        choices=[("", "Any event"), *Event.choices],
        required=False,
        error_messages={"invalid_choice": "Select an event from the list"},
    )
    reference = forms.CharField(
        label="Bid reference",
        required=False,
        max_length=30,
        error_messages={"max_length": "A bid reference is at most 30 characters, like LDF-R6-0001"},
    )


def parse_since(day: str, month: str, year: str, time_text: str) -> datetime:
    """A moment typed as a GOV.UK date and a 24-hour time ("14:30"; blank is midnight), in Europe/London.
    ValueError with a message for people otherwise."""
    parts = [part.strip() for part in (day, month, year)]
    if not all(parts):
        raise ValueError("Enter the date the failures started, with a day, month and year")
    try:
        day_n, month_n, year_n = (int(part) for part in parts)
        moment = date(year_n, month_n, day_n)
    except (ValueError, OverflowError) as error:
        raise ValueError("The date must be a real date, like 27 11 2026") from error
    match = re.fullmatch(r"([01]?[0-9]|2[0-3])[:.]([0-5][0-9])", (time_text or "").strip() or "00:00", flags=re.ASCII)
    if match is None:
        raise ValueError("Enter the time on the 24-hour clock, like 09:30 or 14:00")
    since = datetime(
        moment.year, moment.month, moment.day, int(match[1]), int(match[2]), tzinfo=timezone.get_default_timezone()
    )
    if since > timezone.now():
        raise ValueError("The date and time must be in the past")
    return since


class RetryFailedForm(forms.Form):
    """Which failed messages to send again: those that failed since a moment, of one kind or both."""

    since_day = forms.CharField(required=False, max_length=2)
    since_month = forms.CharField(required=False, max_length=2)
    since_year = forms.CharField(required=False, max_length=4)
    since_time = forms.CharField(required=False, max_length=5)
    failure = forms.ChoiceField(
        label="Which failed messages?",
        widget=forms.RadioSelect,
        choices=[
            ("", "Every failed message"),
            (Failure.GAVE_UP.value, "Only those that gave up after retrying (a mail outage)"),
            (Failure.PERMANENT.value, "Only those the mail server refused (a wrong address or bad settings)"),
        ],
        required=False,
        initial="",
        error_messages={"invalid_choice": "Select which failed messages to send again"},
    )
    since_error = ""

    def clean(self) -> dict:
        cleaned = super().clean()
        try:
            cleaned["since"] = parse_since(
                cleaned.get("since_day") or "",
                cleaned.get("since_month") or "",
                cleaned.get("since_year") or "",
                cleaned.get("since_time") or "",
            )
        except ValueError as error:
            self.since_error = str(error)
            self.add_error("since_day", str(error))
        return cleaned

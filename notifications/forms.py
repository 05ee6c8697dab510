"""Forms for the Notifications pages: the reminder preference and the staff outbox filters."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from core.forms import DateInput, DateInputsMixin, FilterForm
from notifications.choices import Event, Failure, Status

# The outbox's status filter: the three states, and failed split by why.
FAILED_PERMANENT = f"failed_{Failure.PERMANENT}"
FAILED_GAVE_UP = f"failed_{Failure.GAVE_UP}"


class PreferenceForm(forms.Form):
    """The person's email choices. The round-opening question is asked of council members only (only their
    councils bid), so it may be absent: then it stays as it was."""

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
    round_opening_emails = forms.ChoiceField(
        label="Tell me when a round opens",
        choices=[("yes", "Email me when a round opens for bids"), ("no", "Do not email me when a round opens")],
        widget=forms.RadioSelect,
        required=False,
        help_text="Only councils that have signed the Local Digital Declaration can bid, so only their members "
        "are told.",
        error_messages={"invalid_choice": "Select whether you want to be told when a round opens"},
    )

    def __init__(self, *args: object, ask_round_openings: bool = True, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if not ask_round_openings:
            del self.fields["round_opening_emails"]


class OutboxFilterForm(FilterForm):
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


class RetryFailedForm(DateInputsMixin, forms.Form):
    """Which failed messages to send again: those that failed since a moment (UK time; a blank time is
    midnight), of one kind or both."""

    date_inputs = {"since": DateInput(what="the date the failures started", time=True, default_time="00:00")}
    field_order = ["since_day", "since_month", "since_year", "since_time"]
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

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("since") and cleaned["since"] > timezone.now():
            cleaned["since"] = None
            self.add_error("since_day", "The date and time must be in the past")
        return cleaned

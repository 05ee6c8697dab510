"""Forms for the Notifications pages: the reminder preference and the staff outbox filters."""

from __future__ import annotations

from django import forms

from notifications.choices import Event, Status


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
        choices=[("", "Any status"), *Status.choices],
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

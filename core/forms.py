"""Form plumbing every app shares: a service's refusal turned into form errors, and the money field."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.exceptions import ApplicationError
from core.money import MoneyError, parse_money


def apply_problems(form: Any, error: ApplicationError, field_aliases: dict[str, str] | None = None) -> None:
    """Show each problem inline on its field (through `field_aliases` when the form names it differently),
    or in the error summary when the form has no such field."""
    field_aliases = field_aliases or {}
    for problem in error.problems:
        field = field_aliases.get(problem.field, problem.field)
        form.add_error(field if field in form.fields else None, problem.message)


class MoneyField(forms.CharField):
    """An amount of money typed in pounds and pence (see `core.money.parse_money`): cleans to a Decimal, or None
    when not required and left blank. `messages` gives the field's own wording for 'required', 'invalid' and
    'positive' (the amount must be more than £0); 'pence' and 'too_large' fall back to the parser's."""

    def __init__(self, *, label: str, required: bool, messages: dict[str, str], **kwargs: Any) -> None:
        super().__init__(label=label, required=required, max_length=30, **kwargs)
        self.money_messages = messages
        self.widget.attrs.update({"inputmode": "decimal", "spellcheck": "false"})
        self.error_messages["max_length"] = messages["invalid"]
        if required:
            self.error_messages["required"] = messages["required"]

    def clean(self, value: Any) -> Decimal | None:
        value = super().clean(value)
        if not value:
            return None
        try:
            amount = parse_money(value)
        except MoneyError as error:
            raise ValidationError(self.money_messages.get(error.code, str(error)), code=error.code) from error
        if amount <= 0:
            raise ValidationError(self.money_messages["positive"], code="positive")
        return amount


def parse_date(day: str, month: str, year: str, *, what: str) -> date:
    """A date typed in a GOV.UK date input (day, month, year). ValueError with a message for people otherwise:
    `what` names the date in it ("Enter the closing date, with a day, month and year")."""
    parts = [(part or "").strip() for part in (day, month, year)]
    if not all(parts):
        raise ValueError(f"Enter {what}, with a day, month and year")
    try:
        day_n, month_n, year_n = (int(part) for part in parts)
        return date(year_n, month_n, day_n)
    except (ValueError, OverflowError) as error:
        raise ValueError("The date must be a real date, like 27 11 2026") from error


TIME = re.compile(r"([01]?[0-9]|2[0-3])[:.]([0-5][0-9])", flags=re.ASCII)


def parse_date_time(day: str, month: str, year: str, time_text: str, *, what: str, default_time: str = "") -> datetime:
    """A moment typed as a GOV.UK date and a 24-hour time ("14:30"; blank is `default_time`, or refused when
    there is none), in Europe/London. ValueError with a message for people otherwise."""
    moment = parse_date(day, month, year, what=what)
    match = TIME.fullmatch((time_text or "").strip() or default_time)
    if match is None:
        raise ValueError("Enter the time on the 24-hour clock, like 09:30 or 14:00")
    return datetime(
        moment.year, moment.month, moment.day, int(match[1]), int(match[2]), tzinfo=timezone.get_default_timezone()
    )

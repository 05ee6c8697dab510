"""How dates and times are written for people: GOV.UK style, always in Europe/London.

One place, so every page, email and message says "27 November 2026 at 2:30pm" the same way.
"""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone


def govuk_date(value: date | datetime | None, *, short: bool = False) -> str:
    """'27 November 2026' ('27 Nov 2026' when short); datetimes are taken in Europe/London first."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{value.day} {value.strftime('%b' if short else '%B')} {value.year}"


def govuk_time(value: datetime) -> str:
    """'9am', '2:30pm', 'midday', 'midnight' (GOV.UK style guide)."""
    value = timezone.localtime(value) if timezone.is_aware(value) else value
    if value.hour == 12 and value.minute == 0:
        return "midday"
    if value.hour == 0 and value.minute == 0:
        return "midnight"
    hour = value.hour % 12 or 12
    minutes = f":{value.minute:02d}" if value.minute else ""
    return f"{hour}{minutes}{'am' if value.hour < 12 else 'pm'}"


def govuk_datetime(value: datetime | None, *, short: bool = False) -> str:
    """'27 November 2026 at 2:30pm' in Europe/London."""
    if value is None or value == "":
        return ""
    return f"{govuk_date(value, short=short)} at {govuk_time(value)}"

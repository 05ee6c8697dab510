"""How values are written for people, one way everywhere: money, counts, word counts, dates and times.

Dates and times are GOV.UK style and always in Europe/London ("27 November 2026 at 2:30pm").
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

_WORD = re.compile(r"\S+")


def money(amount: Decimal | int | str | None, *, pence: bool = False) -> str:
    """'£75,000' or '£75,000.50'; with `pence=True` always two places ('£75,000.00'), for figures that must
    add up to the penny. None (or '') is written as an en dash."""
    if amount is None or amount == "":
        return "–"
    amount = Decimal(amount)
    if not pence and amount == amount.to_integral_value():
        return f"£{amount:,.0f}"
    return f"£{amount:,.2f}"


def plural(count: int, singular: str, plural_form: str = "") -> str:
    """'1 bid', '3 bids', '1,200 bids' (GOV.UK style: a comma in numbers over 999); `plural_form` for irregular
    words ('1 person', '2 people')."""
    word = singular if count == 1 else (plural_form or f"{singular}s")
    return f"{count:,} {word}"


def word_count(text: str | None) -> int:
    """Words as people count them: runs of non-space characters."""
    return len(_WORD.findall(text or ""))


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


def deadline_moment(value: datetime) -> datetime:
    """A deadline as people read one, in Europe/London: one at midnight is shown as 11:59pm the day before, so
    nobody takes "21 December at midnight" for the end of the 21st (GOV.UK style)."""
    local = timezone.localtime(value)
    if (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0):
        return local - timedelta(minutes=1)
    return local


def govuk_deadline(value: datetime | None, *, short: bool = False) -> str:
    """'20 December 2026 at 11:59pm' for a deadline of midnight at the start of the 21st (`deadline_moment`)."""
    if value is None or value == "":
        return ""
    return govuk_datetime(deadline_moment(value), short=short)


def deadline_day(value: datetime) -> date:
    """The last day something due at `value` can be done on (the day before, for a deadline at midnight)."""
    return deadline_moment(value).date()


def percent(part: Decimal | int, whole: Decimal | int) -> int:
    """`part` as a whole percentage of `whole`, halves rounded up as people expect (120,000 of 180,000 is 67),
    never truncated; 0 of nothing."""
    if not whole or whole <= 0:
        return 0
    return int((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def with_article(word: str) -> str:
    """The word with "a" or "an" before it, by its first letter: "a discovery", "an alpha"."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"

"""Sums of money: the one parser for amounts people type, and the one check for amounts code passes to services.

A typed amount is pounds, optionally with pence (exactly two digits), an optional £ and thousands commas in the
right places: "75000", "75,000", "£75,000.50", " £ 1,234.56 ". Nothing else — not "1e9" (which Python's
Decimal reads as a billion), not "NaN" or "Infinity", not a minus sign, not "75000.5" (is that 50p or 5p?),
not "1,2,3".
"""

from __future__ import annotations

import re
from decimal import Decimal

PENNY = Decimal("0.01")
# Ten digits of pounds: the database's amount columns are DECIMAL(12, 2).
MAX_POUNDS_DIGITS = 10
MAX_AMOUNT = Decimal("9999999999.99")

_TYPED = re.compile(
    r"£?\s*(?P<pounds>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.(?P<pence>[0-9]{2}))?",
    flags=re.ASCII,
)


class MoneyError(ValueError):
    """An amount that is not pounds and pence. `code` says which way: 'invalid', 'pence',
    'positive' (a minus sign: the parser takes £0 and more; a field that needs more than £0 says so) or
    'too_large'."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.code = code


def parse_money(text: str) -> Decimal:
    """The amount a person typed, as a Decimal with two places. MoneyError when it is not pounds and pence."""
    typed = (text or "").strip()
    match = _TYPED.fullmatch(typed)
    if match is None:
        if typed.startswith("-") and _TYPED.fullmatch(typed[1:].strip()):
            raise MoneyError("Enter an amount of £0 or more, without a minus sign", code="positive")
        if re.fullmatch(r"£?\s*[0-9,]+\.[0-9]+", typed, flags=re.ASCII):
            raise MoneyError("Enter pence as two digits, like 75000.50", code="pence")
        raise MoneyError("Enter an amount in pounds, like 75000 or 75000.50")
    pounds = match["pounds"].replace(",", "").lstrip("0") or "0"
    if len(pounds) > MAX_POUNDS_DIGITS:
        raise MoneyError("Enter an amount of less than £10,000,000,000", code="too_large")
    return Decimal(f"{pounds}.{match['pence'] or '00'}")


def as_amount(value: Decimal | int | str) -> Decimal:
    """An amount passed to a service: a finite Decimal (or int) in whole pence within the columns' range, or
    text read by `parse_money` — never by Decimal(), which reads "1e9" as a billion. Floats are refused."""
    if isinstance(value, str):
        return parse_money(value)
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise MoneyError(f"An amount must be a Decimal, not {type(value).__name__}")
    amount = Decimal(value)
    if not amount.is_finite():
        raise MoneyError("Enter an amount in pounds, like 75000 or 75000.50")
    if abs(amount) > MAX_AMOUNT:
        raise MoneyError("Enter an amount of less than £10,000,000,000", code="too_large")
    if amount != amount.quantize(PENNY):
        raise MoneyError("Enter pence as two digits, like 75000.50", code="pence")
    return amount.quantize(PENNY)

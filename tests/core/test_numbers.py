"""Numbers people type are read with the digits 0 to 9 only, in every kind of field: whole numbers, the parts of
a date, and (tests/core/test_money.py) money. Python's int() also reads other scripts' digits, which would let
"١" be 1 in one field and refused in the next."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from core.forms import DateInput, DecimalNumberField, WholeNumberField, typed_decimal, typed_digits
from pipeline.forms import RoundForm


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2", True), ("2026", True), ("١", False), ("²", False), ("٣", False), ("", False), ("1.5", False), ("-1", False)],
)
def test_typed_digits(text, expected):
    assert typed_digits(text) is expected


def test_a_whole_number_in_another_script_is_refused_with_the_fields_message():
    field = WholeNumberField(min_value=0, error_messages={"invalid": "Enter the number as a whole number, like 2"})
    assert field.clean("2") == 2
    assert field.clean(" 3 ") == 3
    for typed in ("١", "٣", "²", "2.5", "two"):
        with pytest.raises(ValidationError, match="Enter the number as a whole number, like 2"):
            field.clean(typed)


def test_a_date_typed_in_another_scripts_digits_is_not_a_real_date():
    start = DateInput(what="the planned start date", subject="The planned start date")
    assert start.parse(["1", "4", "2027"]).isoformat() == "2027-04-01"
    for parts in (["١", "4", "2027"], ["1", "٤", "2027"], ["1", "4", "٢٠٢٧"]):
        with pytest.raises(ValueError, match="The planned start date must be a real date"):
            start.parse(parts)


def test_the_round_forms_counts_refuse_other_scripts_digits():
    form = RoundForm(data={"assessors_per_bid": "٢", "min_partner_councils": "١"})
    form.is_valid()
    assert form.errors["assessors_per_bid"] == ["Enter the number of assessors as a whole number, like 2"]
    assert form.errors["min_partner_councils"] == ["Enter the number of partner councils as a whole number, like 2"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("3", "3"), ("33.34", "33.34"), ("3.333", None), ("٣٣.٣٤", None), ("3.5e0", None), ("+3", None), ("3.", None)],
)
def test_typed_decimal(text, expected):
    assert typed_decimal(text, places=2) == (None if expected is None else Decimal(expected))


def test_a_decimal_in_another_scripts_digits_is_refused_with_the_fields_message():
    field = DecimalNumberField(decimal_places=2, error_messages={"invalid": "Enter the weight as a number, like 33.33"})
    assert field.clean("33.34") == Decimal("33.34")
    for typed in ("٣٣.٣٤", "١٠٠", "1e2", "+5"):
        with pytest.raises(ValidationError, match=r"Enter the weight as a number, like 33\.33"):
            field.clean(typed)


def test_free_text_is_bounded_and_says_so_without_cutting_a_paste_short():
    from core.forms import LONG_TEXT_MAX, LongTextField

    field = LongTextField(label="Reason")
    assert field.clean("x" * LONG_TEXT_MAX) == "x" * LONG_TEXT_MAX
    with pytest.raises(ValidationError, match="Enter 10,000 characters or fewer; this has 100000"):
        field.clean("x" * 100_000)
    assert "maxlength" not in field.widget_attrs(field.widget)

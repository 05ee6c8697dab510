"""The one money parser and field: pounds and pence, an optional £ and thousands commas — nothing else."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django import forms

from core.forms import MoneyField
from core.money import MoneyError, as_amount, parse_money


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("75000", "75000.00"),
        ("75,000", "75000.00"),
        ("£75,000.50", "75000.50"),
        (" £ 1,234.56 ", "1234.56"),
        ("0.01", "0.01"),
        ("1,000,000", "1000000.00"),
        ("9999999999.99", "9999999999.99"),
        ("007", "7.00"),
    ],
)
def test_parse_money_reads_pounds_and_pence(typed, amount):
    assert parse_money(typed) == Decimal(amount)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("1e9", "invalid"),
        ("1E9", "invalid"),
        ("1e-2", "invalid"),
        ("NaN", "invalid"),
        ("Infinity", "invalid"),
        ("-Infinity", "invalid"),
        ("0x10", "invalid"),
        ("1_000", "invalid"),
        ("1,2,3", "invalid"),
        ("12,34", "invalid"),
        ("1,0000", "invalid"),
        (",100", "invalid"),
        ("1 000", "invalid"),
        ("£", "invalid"),
        ("", "invalid"),
        ("75000.", "invalid"),
        (".50", "invalid"),
        ("£75,000.50p", "invalid"),
        ("٣٤", "invalid"),  # Arabic-Indic digits, which Decimal() accepts
        ("１２", "invalid"),  # full-width digits
        ("75000.5", "pence"),
        ("1.234", "pence"),
        ("-5", "positive"),
        ("-£5.00", "positive"),
        ("10000000000", "too_large"),
        ("9" * 40, "too_large"),
    ],
)
def test_parse_money_refuses_anything_else(typed, code):
    with pytest.raises(MoneyError) as refused:
        parse_money(typed)
    assert refused.value.code == code
    assert str(refused.value)


def test_as_amount_takes_decimals_in_whole_pence_and_reads_text_with_the_parser():
    assert as_amount(Decimal("55000.5")) == Decimal("55000.50")
    assert as_amount(12) == Decimal("12.00")
    assert as_amount("55,000") == Decimal("55000.00")
    for value in (
        "1e9",
        "1e-2",
        "NaN",
        1e9,
        None,
        True,
        Decimal("NaN"),
        Decimal("Infinity"),
        Decimal("1e12"),
        Decimal("0.001"),
    ):
        with pytest.raises(MoneyError):
            as_amount(value)


class AmountForm(forms.Form):
    amount = MoneyField(
        label="Amount",
        required=True,
        messages={"required": "Enter the amount", "invalid": "Enter it in pounds", "positive": "More than £0"},
    )


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("1e9", "Enter it in pounds"),
        ("", "Enter the amount"),
        ("0", "More than £0"),
        ("-1", "More than £0"),
        ("1.5", "Enter pence as two digits, like 75000.50"),
        ("99999999999", "Enter an amount of less than £10,000,000,000"),
    ],
)
def test_money_field_gives_the_field_its_own_messages(typed, error):
    form = AmountForm({"amount": typed})
    assert not form.is_valid()
    assert form.errors["amount"] == [error]


def test_money_field_cleans_to_a_decimal():
    form = AmountForm({"amount": "£1,234.50"})
    assert form.is_valid()
    assert form.cleaned_data["amount"] == Decimal("1234.50")

"""Form plumbing every app shares: a service's refusal turned into form errors, and the money field."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

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

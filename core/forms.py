"""Form plumbing every app shares: a service's refusal turned into form errors, and the money field."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from core import formatting
from core.exceptions import ApplicationError
from core.money import MoneyError, parse_money


def accepted_filters(form: forms.Form) -> dict[str, Any]:
    """What a list page's filter form accepted: {} when nothing was sent; when one filter is refused (the page says
    why, with a 400), the others still apply rather than all being dropped."""
    if not form.is_bound:
        return {}
    form.is_valid()
    return form.cleaned_data


class FilterForm(forms.Form):
    """A list's filters, read from the query string: each takes one value. A filter given twice (`?state=a&state=b`)
    is refused, saying so, rather than read as its last value."""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if hasattr(self.data, "getlist"):
            for name, field in self.fields.items():
                if len(self.data.getlist(self.add_prefix(name))) > 1:
                    self.add_error(name, f"Choose one {str(field.label or name).lower()}, not several")
        return data


def apply_problems(form: Any, error: ApplicationError, field_aliases: dict[str, str] | None = None) -> None:
    """Show each problem inline on its field (through `field_aliases` when the form names it differently),
    or in the error summary when the form has no such field."""
    field_aliases = field_aliases or {}
    for problem in error.problems:
        field = field_aliases.get(problem.field, problem.field)
        if field not in form.fields and f"{field}_day" in form.fields:
            field = f"{field}_day"  # a date typed in a date input: its message goes on the day box
        form.add_error(field if field in form.fields else None, problem.message)


def typed_digits(text: str) -> bool:
    """Whether `text` is a whole number typed with the digits 0 to 9. Python's int() also reads other scripts'
    digits (Arabic-Indic, superscripts), which money and dates refuse: one rule for every number people type."""
    return text.isascii() and text.isdigit()


# A number with an optional decimal part, typed with the digits 0 to 9 and a point: not "3.5e0", "+3", "3." or
# other scripts' digits, which Decimal() reads.
TYPED_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def typed_decimal(text: str, places: int) -> Decimal | None:
    """The number typed in `text`, with at most `places` decimal places; None if it is not one."""
    text = text.strip()
    if not TYPED_DECIMAL.fullmatch(text):
        return None
    value = Decimal(text)
    return value if -value.as_tuple().exponent <= places else None


class DecimalNumberField(forms.DecimalField):
    """A decimal typed with the digits 0 to 9 and a point (`TYPED_DECIMAL`); the field's 'invalid' message
    otherwise. Its decimal places are checked as DecimalField checks them."""

    def to_python(self, value: Any) -> Decimal | None:
        text = str(value).strip() if value is not None else ""
        if text and not TYPED_DECIMAL.fullmatch(text):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


# The largest whole number a database column of this service holds (PostgreSQL's bigint, SQLite's INTEGER): a
# number beyond it is refused by the form, never sent to the database (where it is an error, or on SQLite a crash).
LARGEST_STORED = 2**63 - 1


class WholeNumberField(forms.IntegerField):
    """A whole number typed with the digits 0 to 9 (`typed_digits`); the field's 'invalid' message otherwise.
    Without bounds of its own, it is held to what the database stores."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_value", LARGEST_STORED)
        kwargs.setdefault("min_value", -LARGEST_STORED)
        super().__init__(**kwargs)
        if self.max_value == LARGEST_STORED:
            self.error_messages.setdefault("max_value", "Enter a smaller number")
        if self.min_value == -LARGEST_STORED:
            self.error_messages.setdefault("min_value", "Enter a larger number")

    def to_python(self, value: Any) -> int | None:
        text = str(value).strip() if value is not None else ""
        if text and not typed_digits(text.removeprefix("-")):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


# The most any free text typed in a text area may hold: far beyond any answer's word limit or any reason a person
# writes, and a bound on what is stored and emailed.
LONG_TEXT_MAX = 10_000


class LongTextField(forms.CharField):
    """Free text typed in a text area, at most LONG_TEXT_MAX characters. The limit is said when it is passed, not
    enforced by the browser's maxlength (which cuts a paste short without a word, as GOV.UK advises against)."""

    def __init__(self, *, max_length: int = LONG_TEXT_MAX, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 5}))
        super().__init__(max_length=max_length, **kwargs)
        self.error_messages["max_length"] = f"Enter {max_length:,} characters or fewer; this has %(show_value)s"

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs.pop("maxlength", None)
        return attrs


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


TIME = re.compile(r"([01]?[0-9]|2[0-3])[:.]([0-5][0-9])", flags=re.ASCII)
DATE_PARTS = ("day", "month", "year")


@dataclass(frozen=True)
class DateInput:
    """One date (or date and time) typed in a GOV.UK date input: the form fields `<name>_day`, `_month`,
    `_year` (and `_time`), cleaned into `<name>`. How it reads and what its messages call it:

    - `what` names it in "Enter the closing date, with a day, month and year";
    - `subject`, when set, begins the other messages the GOV.UK way ("The planned start date must include a
      month", "… must be a real date, like 1 4 2027"); otherwise they say "The date must be a real date";
    - `required`: a blank input is refused, or cleans to None;
    - `time`: a fourth box, the time on the 24-hour clock (blank means `default_time`, or is refused);
    - `years`: the first and last year accepted."""

    what: str
    subject: str = ""
    required: bool = True
    time: bool = False
    default_time: str = ""
    example: str = "27 11 2026"
    years: tuple[int, int] | None = None

    @property
    def parts(self) -> tuple[str, ...]:
        return (*DATE_PARTS, "time") if self.time else DATE_PARTS

    def parse(self, values: list[str]) -> date | datetime | None:
        """The date typed, None for a blank optional one; ValueError with a message for people otherwise."""
        day, month, year = ((value or "").strip() for value in values[:3])
        if not (day or month or year) and not self.required:
            return None
        if not (day and month and year):
            if not self.subject or not (day or month or year):
                raise ValueError(f"Enter {self.what}, with a day, month and year")
            missing = [part for part, value in zip(DATE_PARTS, (day, month, year), strict=True) if not value]
            raise ValueError(f"{self.subject} must include a {' and '.join(missing)}")
        try:
            if not all(typed_digits(part) for part in (day, month, year)):
                raise ValueError("not typed with the digits 0 to 9")
            typed = date(int(year), int(month), int(day))
        except (ValueError, OverflowError) as error:
            raise ValueError(f"{self.subject or 'The date'} must be a real date, like {self.example}") from error
        if self.years and not self.years[0] <= typed.year <= self.years[1]:
            first, last = self.years
            if self.subject:
                raise ValueError(f"{self.subject} must be in a year from {first} to {last}, like 2027")
            raise ValueError(f"The year of {self.what} must be from {first} to {last}, like 2027")
        if not self.time:
            return typed
        match = TIME.fullmatch((values[3] or "").strip() or self.default_time)
        if match is None:
            raise ValueError("Enter the time on the 24-hour clock, like 09:30 or 14:00")
        typed_at = datetime(
            typed.year, typed.month, typed.day, int(match[1]), int(match[2]), tzinfo=timezone.get_default_timezone()
        )
        return uk_time(typed_at)


def uk_time(typed_at: datetime) -> datetime:
    """A time typed in UK time, which the night the clocks change may not name one moment: in spring an hour is
    skipped (01:30 does not happen), in autumn one is lived twice (01:30 happens twice). Either is refused with
    when to choose instead, rather than quietly taken as an hour later or as summer time."""
    earlier, later = typed_at.replace(fold=0), typed_at.replace(fold=1)
    shift = abs(later.utcoffset() - earlier.utcoffset())
    if not shift:
        return typed_at
    start = typed_at.replace(minute=0)
    end = start + shift
    day = formatting.govuk_date(typed_at.date())
    skipped = earlier.astimezone(UTC).astimezone(typed_at.tzinfo).replace(tzinfo=None) != typed_at.replace(tzinfo=None)
    what = "go forward" if skipped else "go back"
    happens = "does not happen" if skipped else "happens twice"
    raise ValueError(
        f"The clocks {what} on {day}, so {typed_at:%H:%M} {happens} that night. "
        f"Enter a time before {start:%H:%M} or from {end:%H:%M}"
    )


class DateInputsMixin:
    """A form with GOV.UK date inputs: `date_inputs` maps each date's name to its `DateInput` (set on the class,
    or in `__init__` before calling `add_date_input` for dates known only then). The part fields are made and
    put where `field_order` says; `clean()` puts each date in `cleaned_data[name]` or its one message on the
    day box, where the error summary links."""

    date_inputs: dict[str, DateInput] = {}
    field_order: list[str] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.date_inputs = dict(self.date_inputs)
        for name, spec in self.date_inputs.items():
            self._add_parts(name, spec)
        self.order_fields(self.field_order)

    def add_date_input(self, name: str, spec: DateInput, initial: date | None = None) -> None:
        self.date_inputs[name] = spec
        self._add_parts(name, spec, initial)

    def _add_parts(self, name: str, spec: DateInput, initial: date | None = None) -> None:
        values = {"day": initial and initial.day, "month": initial and initial.month, "year": initial and initial.year}
        for part in spec.parts:  # no max_length: `parse` explains any text, however long, as one message
            self.fields[f"{name}_{part}"] = forms.CharField(required=False, initial=values.get(part))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for name, spec in self.date_inputs.items():
            try:
                cleaned[name] = spec.parse([cleaned.get(f"{name}_{part}") or "" for part in spec.parts])
            except ValueError as error:
                cleaned[name] = None
                self.add_error(f"{name}_day", str(error))
        return cleaned


def date_initial(name: str, value: date | datetime | None, *, time: bool = False) -> dict[str, Any]:
    """A date's (or, in UK time, a moment's) initial values for its date input's boxes."""
    if value is None:
        return {}
    if isinstance(value, datetime):
        value = timezone.localtime(value)
    initial = {f"{name}_day": value.day, f"{name}_month": value.month, f"{name}_year": value.year}
    if time:
        initial[f"{name}_time"] = f"{value:%H:%M}"
    return initial

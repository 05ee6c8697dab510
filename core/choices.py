"""Choices whose values are shown as GOV.UK status tags: each member names its tag's colour beside its label,
so a state's wording and colour are declared once, in one table."""

from __future__ import annotations

from functools import cache

from django.db import models
from django.db.models.enums import ChoicesType
from django.utils.html import format_html
from django.utils.safestring import SafeString


class TaggedChoicesType(ChoicesType):
    """Reads `NAME = "value", "Label", "colour"`: Django's choices get the value and label, the member its
    colour (a GOV.UK tag modifier such as "grey"; "" for the default blue)."""

    def __new__(metacls, classname, bases, classdict, **kwds):
        colours = {}
        for key in list(classdict._member_names):
            value = classdict[key]
            if isinstance(value, tuple) and len(value) == 3:
                *value, colour = value
                colours[key] = colour
                dict.__setitem__(classdict, key, tuple(value))
        cls = super().__new__(metacls, classname, bases, classdict, **kwds)
        for key, member in cls.__members__.items():
            member._colour_ = colours.get(key, "")
        return cls


class TaggedChoices(models.TextChoices, metaclass=TaggedChoicesType):
    @property
    def colour(self) -> str:
        return self._colour_


def choice_label(choices: type[models.TextChoices], value: str) -> str:
    """The label of one of `choices`' values; a value they do not know (a state since retired, say) as it is."""
    try:
        return choices(value).label
    except ValueError:
        return value


@cache
def status_tag(choices: type[TaggedChoices], value: str) -> SafeString:
    """The GOV.UK status tag of one of `choices`' values: "–" for none, an unknown value as it is, untinted."""
    if not value:
        return format_html("{}", "–")
    try:
        member = choices(value)
    except ValueError:
        return format_html('<strong class="govuk-tag">{}</strong>', value)
    modifier = f" govuk-tag--{member.colour}" if member.colour else ""
    return format_html('<strong class="govuk-tag{}">{}</strong>', modifier, member.label)

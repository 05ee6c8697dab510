"""Times typed in UK time, the nights the clocks change: a time that does not happen, or happens twice, is
refused with when to choose instead (`core.forms.uk_time`)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from core.forms import DateInput


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (
            ["28", "3", "2027", "01:30"],
            "The clocks go forward on 28 March 2027, so 01:30 does not happen that night. "
            "Enter a time before 01:00 or from 02:00",
        ),
        (
            ["31", "10", "2027", "01:30"],
            "The clocks go back on 31 October 2027, so 01:30 happens twice that night. "
            "Enter a time before 01:00 or from 02:00",
        ),
    ],
)
def test_a_uk_time_the_clocks_skip_or_repeat_is_refused_with_when_to_choose(typed, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        DateInput(what="the closing date", time=True).parse(typed)


def test_uk_times_either_side_of_the_clock_changes_are_taken_as_typed():
    moment = DateInput(what="the closing date", time=True).parse
    assert moment(["28", "3", "2027", "00:59"]).utcoffset() == timedelta(0)
    assert moment(["28", "3", "2027", "02:00"]).utcoffset() == timedelta(hours=1)
    assert moment(["31", "10", "2027", "02:30"]).utcoffset() == timedelta(0)

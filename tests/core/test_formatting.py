"""Dates and times are written the GOV.UK way, in Europe/London, whatever the server's UTC."""

from datetime import UTC, date, datetime

from core.formatting import govuk_date, govuk_datetime, govuk_time


def test_summer_time_is_shown_in_london_time():
    # 13:30 UTC on 1 July is 2:30pm in London (BST).
    assert govuk_datetime(datetime(2026, 7, 1, 13, 30, tzinfo=UTC)) == "1 July 2026 at 2:30pm"


def test_winter_time_and_whole_hours():
    assert govuk_datetime(datetime(2026, 12, 3, 9, 0, tzinfo=UTC)) == "3 December 2026 at 9am"


def test_midday_and_midnight_by_name():
    assert govuk_time(datetime(2026, 1, 5, 12, 0, tzinfo=UTC)) == "midday"
    assert govuk_time(datetime(2026, 1, 5, 0, 0, tzinfo=UTC)) == "midnight"


def test_late_utc_evening_is_the_next_day_in_london_summer():
    assert govuk_date(datetime(2026, 6, 30, 23, 30, tzinfo=UTC)) == "1 July 2026"


def test_plain_dates_short_form_and_empty_values():
    assert govuk_date(date(2027, 3, 7)) == "7 March 2027"
    assert govuk_date(date(2027, 3, 7), short=True) == "7 Mar 2027"
    assert govuk_date(None) == ""
    assert govuk_datetime(None) == ""

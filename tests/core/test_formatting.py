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


def test_money_shows_pence_only_when_there_are_some_unless_asked():
    from decimal import Decimal

    from core.formatting import money

    assert money(Decimal("75000")) == "£75,000"
    assert money(Decimal("75000.5")) == "£75,000.50"
    assert money(Decimal("75000"), pence=True) == "£75,000.00"
    assert money(None) == "–"


def test_plural_and_word_count():
    from core.formatting import plural, word_count

    assert plural(1, "bid") == "1 bid"
    assert plural(0, "bid") == "0 bids"
    assert plural(2, "person", "people") == "2 people"
    assert plural(12_500, "bid") == "12,500 bids"  # GOV.UK style: a comma in numbers over 999
    assert word_count("  one two\nthree\tfour  ") == 4
    assert word_count(None) == 0


def test_the_funnels_words_say_one_bid_not_one_bids():
    from pipeline.selectors import FunnelStep
    from pipeline.templatetags.pipeline_tags import funnel_svg

    svg = funnel_svg([FunnelStep("Started (draft)", 3, 100), FunnelStep("Scored", 1, 33)])
    assert "Scored: 1 bid (33% of all bids)." in svg and "Started (draft): 3 bids" in svg


def test_a_deadline_at_midnight_reads_as_the_last_minute_of_the_day_before():
    """GOV.UK style: "21 December at midnight" is read as the end of the 21st, a day late. Only deadlines are
    shown so; an event at midnight is still shown at midnight."""
    from zoneinfo import ZoneInfo

    from core.formatting import deadline_day, govuk_datetime, govuk_deadline

    london = ZoneInfo("Europe/London")
    midnight = datetime(2026, 12, 21, 0, 0, tzinfo=london)
    assert govuk_deadline(midnight) == "20 December 2026 at 11:59pm"
    assert deadline_day(midnight).isoformat() == "2026-12-20"
    assert govuk_datetime(midnight) == "21 December 2026 at midnight"
    five = datetime(2026, 12, 21, 17, 0, tzinfo=london)
    assert govuk_deadline(five) == "21 December 2026 at 5pm" and deadline_day(five).isoformat() == "2026-12-21"
    summer = datetime(2027, 6, 1, 0, 0, tzinfo=london)  # midnight in British Summer Time is 23:00 UTC
    assert govuk_deadline(summer) == "31 May 2027 at 11:59pm"


def test_a_percentage_rounds_halves_up_and_never_truncates():
    from decimal import Decimal

    from core.formatting import percent

    assert percent(Decimal("120000"), Decimal("180000")) == 67  # was shown as 66
    assert percent(1, 8) == 13 and percent(1, 3) == 33 and percent(5, 0) == 0

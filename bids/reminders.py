"""Round-closing reminders: lead members of draft bids hear 7 days and 1 day before their round closes.

Run daily by Celery beat (`bids.tasks`), never as a long countdown. Each reminder is sent once: its outbox key
names the bid, the window and the closing date, so a second sweep the same day adds nothing, and a round whose
closing date moves gets fresh reminders.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from bids.choices import BidState
from bids.models import FundingRound
from bids.selectors import bid_lead_members, bid_snapshot
from core.formatting import govuk_date, govuk_time
from notifications.choices import Event
from notifications.services import notify

# Calendar days before the closing date (Europe/London) at which lead members hear, latest first.
REMINDER_WINDOWS = (1, 7)


def days_until(moment: datetime, now: datetime) -> int:
    """Whole calendar days from today to the day of `moment`, both in Europe/London."""
    return (timezone.localtime(moment).date() - timezone.localtime(now).date()).days


def reminder_window(days_left: int) -> int | None:
    """The reminder due when the round closes in `days_left` days: 1 (the last day or two), 7, or none."""
    return next((window for window in REMINDER_WINDOWS if 0 <= days_left <= window), None)


def closes_at_display(closes_at: datetime) -> str:
    return f"{govuk_time(closes_at)} on {timezone.localtime(closes_at).strftime('%A')} {govuk_date(closes_at)}"


def round_closing_reminders_send(*, now: datetime | None = None) -> int:
    """Record the reminders due now; returns how many outbox rows were written."""
    now = now or timezone.now()
    rounds = FundingRound.objects.filter(
        opens_at__lte=now, closes_at__gt=now, closes_at__lte=now + timedelta(days=max(REMINDER_WINDOWS) + 1)
    )
    written = 0
    for funding_round in rounds:
        days_left = days_until(funding_round.closes_at, now)
        window = reminder_window(days_left)
        if window is None:
            continue
        closing_day = timezone.localtime(funding_round.closes_at).date().isoformat()
        bids = funding_round.bids.filter(state=BidState.DRAFT).select_related("funding_round", "lead_council")
        with transaction.atomic():
            for bid in bids:
                written += len(
                    notify(
                        event=Event.ROUND_CLOSING,
                        recipients=bid_lead_members(bid=bid),
                        context={
                            **bid_snapshot(bid=bid),
                            "days": days_left,
                            "window": window,
                            "closes_at": funding_round.closes_at.isoformat(),
                            "closes_at_display": closes_at_display(funding_round.closes_at),
                        },
                        key=f"{Event.ROUND_CLOSING}:{bid.pk}:{window}d:{closing_day}",
                    )
                )
    return written

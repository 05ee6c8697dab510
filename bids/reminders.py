"""Reminders: lead members of draft bids hear 7 days and 1 day before their round closes; lead members of a bid
with a question waiting for their answer hear two days before its reply-by date.

Run daily by Celery beat (`bids.tasks`), never as a long countdown. Each reminder is sent once: its outbox key
names the bid, the window and the closing date, so a second sweep the same day adds nothing, and a round whose
closing date moves gets fresh reminders.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from bids.choices import BidState, ClarificationStatus, RoundState
from bids.models import Clarification, FundingRound
from bids.selectors import bid_lead_members, bid_snapshot
from core.formatting import deadline_moment, govuk_date, govuk_time
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
    moment = deadline_moment(closes_at)
    return f"{govuk_time(moment)} on {moment.strftime('%A')} {govuk_date(moment)}"


def round_closing_reminders_send(*, now: datetime | None = None) -> int:
    """Record the reminders due now; returns how many outbox rows were written."""
    now = now or timezone.now()
    rounds = FundingRound.objects.filter(
        state=RoundState.OPEN,
        opens_at__lte=now,
        closes_at__gt=now,
        closes_at__lte=now + timedelta(days=max(REMINDER_WINDOWS) + 1),
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


# Calendar days before the reply-by date (Europe/London) from which the lead council is reminded, once.
CLARIFICATION_REMINDER_DAYS = 2


def clarification_reminders_send(*, now: datetime | None = None) -> int:
    """Remind the lead council of each question still waiting for its answer when its reply-by date is at most
    two days away (once per question and reply-by date). Returns how many outbox rows were written."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    waiting = (
        Clarification.objects.filter(
            status=ClarificationStatus.ASKED,
            reply_by__gte=today,
            reply_by__lte=today + timedelta(days=CLARIFICATION_REMINDER_DAYS),
            bid__state__in=[BidState.IN_REVIEW, BidState.SCORED],
        )
        .select_related("bid__funding_round", "bid__lead_council")
        .order_by("pk")
    )
    written = 0
    with transaction.atomic():
        for clarification in waiting:
            bid = clarification.bid
            written += len(
                notify(
                    event=Event.CLARIFICATION_REMINDER,
                    recipients=bid_lead_members(bid=bid),
                    context={
                        **bid_snapshot(bid=bid),
                        "question": clarification.question,
                        "days": (clarification.reply_by - today).days,
                        "reply_by_display": govuk_date(clarification.reply_by),
                        "answer_path": reverse(
                            "bids:clarification", kwargs={"reference": bid.reference, "pk": clarification.pk}
                        ),
                    },
                    key=f"{Event.CLARIFICATION_REMINDER}:{clarification.pk}:{clarification.reply_by.isoformat()}",
                )
            )
    return written

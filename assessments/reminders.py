"""Assessment reminders: the assessor hears 3 days before the round's assessment deadline and once overdue.

Only for assessments still to do (assigned or in progress) of bids in review in rounds with a deadline. Run
daily by Celery beat (`assessments.tasks`); each reminder is sent once per assessment and deadline (its outbox
key names both), so a moved deadline gets fresh reminders.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from assessments.choices import AssessmentState
from assessments.models import Assessment
from bids.choices import BidState
from core.formatting import deadline_day, govuk_date
from notifications.choices import Event
from notifications.services import notify

DUE_SOON_DAYS = 3
OPEN_STATES = (AssessmentState.ASSIGNED, AssessmentState.IN_PROGRESS)


def days_until(moment: datetime, now: datetime) -> int:
    """Whole calendar days from today to the day of `moment`, both in Europe/London."""
    return (timezone.localtime(moment).date() - timezone.localtime(now).date()).days


def assessment_reminders_send(*, now: datetime | None = None) -> int:
    """Record the reminders due now; returns how many outbox rows were written."""
    now = now or timezone.now()
    assessments = (
        Assessment.objects.filter(
            state__in=OPEN_STATES,
            assessor__is_active=True,
            bid__state=BidState.IN_REVIEW,
            bid__funding_round__assessment_deadline__isnull=False,
            bid__funding_round__assessment_deadline__lte=now + timedelta(days=DUE_SOON_DAYS + 1),
        )
        .select_related("assessor", "bid__funding_round")
        .order_by("pk")
    )
    written = 0
    with transaction.atomic():
        for assessment in assessments:
            deadline = assessment.bid.funding_round.assessment_deadline
            if deadline <= now:
                event = Event.ASSESSMENT_OVERDUE
            elif days_until(deadline, now) <= DUE_SOON_DAYS:
                event = Event.ASSESSMENT_DUE
            else:
                continue
            local_deadline = timezone.localtime(deadline)
            bid = assessment.bid
            written += len(
                notify(
                    event=event,
                    recipients=[assessment.assessor],
                    context={
                        "reference": bid.reference,
                        "title": bid.title or "Untitled bid",
                        "round": bid.funding_round.name,
                        "due_date": local_deadline.isoformat(),
                        "due_date_display": govuk_date(deadline_day(deadline)),
                        "assessment_path": reverse("assessments:detail", kwargs={"pk": assessment.pk}),
                    },
                    key=f"{event}:{assessment.pk}:{deadline.isoformat()}",
                )
            )
    return written

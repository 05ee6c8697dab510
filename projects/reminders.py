"""Project reminders, run daily by Celery beat (`projects.tasks`): the lead council hears while its grant offer
is not accepted (a week after it is made, then weekly), when a monitoring report is due within a week, and once
it is overdue. Each outbox key names the day or the due date, so running twice a day sends nothing twice and a
moved due date gets fresh reminders."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core.formatting import govuk_date
from notifications.choices import Event
from notifications.services import notify
from projects.selectors import offers_not_accepted, project_lead_members, project_snapshot, reports_due_for_reminders

OFFER_REMINDER_EVERY_DAYS = 7


def offer_reminders_send(*, on: date | None = None) -> int:
    on = on or timezone.localdate()
    written = 0
    with transaction.atomic():
        for project in offers_not_accepted():
            days = (on - timezone.localtime(project.offered_at).date()).days
            if days <= 0 or days % OFFER_REMINDER_EVERY_DAYS:
                continue
            written += len(
                notify(
                    event=Event.OFFER_REMINDER,
                    recipients=project_lead_members(project=project),
                    context={
                        **project_snapshot(project=project),
                        "offer_path": reverse("projects:accept", kwargs={"reference": project.reference}),
                    },
                    key=f"{Event.OFFER_REMINDER}:{project.pk}:{on.isoformat()}",
                )
            )
    return written


def report_reminders_send(*, on: date | None = None) -> int:
    on = on or timezone.localdate()
    written = 0
    with transaction.atomic():
        for report in reports_due_for_reminders(on=on):
            event = Event.REPORT_OVERDUE if report.due_date < on else Event.REPORT_DUE
            project = report.project
            written += len(
                notify(
                    event=event,
                    recipients=project_lead_members(project=project),
                    context={
                        **project_snapshot(project=project),
                        "due_date_display": govuk_date(report.due_date),
                        "report_path": reverse(
                            "projects:report", kwargs={"reference": project.reference, "pk": report.pk}
                        ),
                    },
                    key=f"{event}:{report.pk}:{report.due_date.isoformat()}",
                )
            )
    return written

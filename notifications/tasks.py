"""Celery tasks for the outbox. Thin: they take ids and call a service; safe to run twice."""

from __future__ import annotations

from celery import shared_task

from notifications.services import notification_deliver, notification_sweep


@shared_task(bind=True, name="notifications.deliver", acks_late=True, max_retries=None, ignore_result=True)
def deliver_notification(self, notification_id: int) -> str:
    """Deliver one outbox row; transient failures come back here after an exponential backoff.

    The attempt count lives on the row (NOTIFICATIONS_MAX_ATTEMPTS), not in Celery, so the sweep and staff
    retries share it.
    """
    outcome = notification_deliver(notification_id=notification_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(name="notifications.sweep_pending", ignore_result=True)
def sweep_pending() -> int:
    return notification_sweep()

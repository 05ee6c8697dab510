"""Celery tasks for the outbox. Thin: they take ids and call a service; safe to run twice."""

from __future__ import annotations

from celery import shared_task
from celery.signals import task_prerun
from django.db import OperationalError, connections

from notifications.services import notification_deliver, notification_sweep


@shared_task(bind=True, name="notifications.deliver", acks_late=True, max_retries=None, ignore_result=True)
def deliver_notification(self, notification_id: int) -> str:
    """Deliver one outbox row; transient failures come back here after an exponential backoff.

    The attempt count lives on the row (NOTIFICATIONS_MAX_ATTEMPTS), not in Celery, so the sweep and staff
    retries share it.
    """
    try:
        outcome = notification_deliver(notification_id=notification_id)
    except OperationalError as error:
        # The database itself is briefly unavailable (restart, lock timeout): the row is untouched, so try again
        # soon; past these retries the sweep picks the row up.
        raise self.retry(exc=error, countdown=min(30.0, 0.5 * 2**self.request.retries), max_retries=6) from error
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(name="notifications.sweep_pending", ignore_result=True)
def sweep_pending() -> int:
    return notification_sweep()


@task_prerun.connect
def drop_broken_database_connections(**kwargs: object) -> None:
    """The worker keeps its database connection between tasks (CELERY_DB_REUSE_MAX); drop one that broke, so
    a database restart costs one failed task (its row stays pending) rather than a run of them."""
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None and connection.errors_occurred and not connection.is_usable():
            connection.close()

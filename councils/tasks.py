"""Account tasks. Thin: they call a service."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task

from councils.services import password_reset_handle, password_reset_send, password_reset_sweep

# A request still waiting this long after it was made has lost its message: the sweep handles it.
PASSWORD_RESET_SWEEP_AFTER = timedelta(seconds=60)


@shared_task(name="councils.password_reset_handle", ignore_result=True)
def password_reset_handle_task(request_id: int) -> int:
    return password_reset_handle(request_id=request_id)


@shared_task(name="councils.sweep_password_resets", ignore_result=True)
def sweep_password_resets() -> int:
    return password_reset_sweep(older_than=PASSWORD_RESET_SWEEP_AFTER)


@shared_task(name="councils.password_reset_requested", ignore_result=True)
def password_reset_requested(email: str) -> int:
    """Messages queued before requests were recorded (an upgrade with some in the broker) are still handled."""
    return password_reset_send(email=email)

"""Account tasks. Thin: they call a service."""

from __future__ import annotations

from celery import shared_task

from councils.services import password_reset_send


@shared_task(name="councils.password_reset_requested", ignore_result=True)
def password_reset_requested(email: str) -> int:
    return password_reset_send(email=email)

"""The embedded demo (no REDIS_URL): tasks run eagerly, email goes to the console, the in-app page shows it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse

from config.celery import app
from notifications.choices import Event, Status
from notifications.models import Notification
from tests.factories import make_submitted_bid, make_user

BASE_DIR = Path(__file__).resolve().parents[2]


def settings_without_services() -> dict:
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"REDIS_URL", "CELERY_BROKER_URL", "EMAIL_BACKEND", "CELERY_TASK_ALWAYS_EAGER"}
    }
    code = (
        "import json, config.settings as s; print(json.dumps([s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL, "
        "s.EMAIL_BACKEND]))"
    )
    output = subprocess.run(  # noqa: S603 - our own interpreter running a fixed snippet
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, check=True
    ).stdout
    return output.strip()


def test_without_redis_the_demo_runs_tasks_eagerly_and_prints_email():
    assert settings_without_services() == ('[true, "memory://", "django.core.mail.backends.console.EmailBackend"]')


@pytest.fixture
def eager():
    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = saved


@pytest.mark.django_db
def test_in_the_demo_a_submission_is_delivered_at_once_and_listed_in_app(
    eager, django_capture_on_commit_callbacks, councils, funding_round, client
):
    lead = make_user(councils=[councils["lead"]])
    with django_capture_on_commit_callbacks(execute=True):
        bid = make_submitted_bid(
            funding_round=funding_round, lead=councils["lead"], partners=[councils["p1"], councils["p2"]], by=lead
        )

    receipt = Notification.objects.get(event=Event.BID_SUBMITTED, recipient=lead)
    assert receipt.status == Status.SENT
    receipts = [m.subject for m in mail.outbox if m.to == [lead.email] and "received" in m.subject]
    assert receipts == [f"{bid.reference}: we have received your bid"]
    client.force_login(lead)
    page = client.get(reverse("notifications:list")).content.decode()
    assert f"{bid.reference}: we have received your bid" in page

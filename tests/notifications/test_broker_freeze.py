"""A hung broker (Redis frozen, not dead: it accepts connections and never answers) must not stall the site.

A real redis-server on a spare port is stopped with SIGSTOP while a council submits a bid through the page: the
response comes back within a bound, the bid is submitted and its outbox rows stay pending for the sweep."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time

import pytest
from django.db import connection
from django.urls import reverse
from kombu import pools

from bids.choices import BidState
from bids.models import Bid
from notifications.choices import Status
from notifications.models import Notification
from tests.factories import make_bid, make_user
from tests.real_services import free_port, redis_server

pytestmark = pytest.mark.django_db(transaction=True)

# Generous: this tests a bound (about a second of broker time per request), not speed.
RESPONSE_BOUND_SECONDS = 3.0


@pytest.fixture
def frozen_redis(tmp_path):
    """A redis-server of the test's own, answering first and then frozen with SIGSTOP; its URL."""
    port = free_port()
    server = redis_server(port, tmp_path)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        yield server, url
    finally:
        os.kill(server.pid, signal.SIGCONT)
        server.terminate()
        server.wait(timeout=10)


def test_a_frozen_broker_delays_a_submission_by_about_a_second_at_most(
    frozen_redis, celery_app, monkeypatch, caplog, councils, funding_round, client
):
    server, url = frozen_redis
    caplog.set_level(logging.WARNING, logger="notifications.services")
    # The web process's producers talk to this Redis, with the project's own transport options.
    broker = celery_app.connection_for_write(url)
    monkeypatch.setattr(celery_app.amqp, "_producer_pool", pools.producers[broker])
    lead = make_user(councils=[councils["lead"]])
    bid = make_bid(
        funding_round=funding_round, lead=councils["lead"], partners=[councils["p1"], councils["p2"]], by=lead
    )
    # The pool holds a live connection (as a busy web worker's would) before Redis hangs.
    with celery_app.producer_or_acquire() as producer:
        producer.connection.default_channel.client.ping()
    client.force_login(lead)

    outcome: dict = {}

    def submit() -> None:
        started = time.monotonic()
        try:
            outcome["response"] = client.post(
                reverse("bids:check", kwargs={"reference": bid.reference}), {"declaration": "on"}
            )
        finally:
            outcome["elapsed"] = time.monotonic() - started
            connection.close()

    os.kill(server.pid, signal.SIGSTOP)
    # In a thread, so that a request stuck on the frozen broker fails the test instead of hanging it.
    request = threading.Thread(target=submit)
    try:
        request.start()
        request.join(timeout=RESPONSE_BOUND_SECONDS + 5)
        stuck = request.is_alive()
    finally:
        os.kill(server.pid, signal.SIGCONT)
        request.join(timeout=60)
        monkeypatch.undo()
        broker.release()

    assert not stuck, "the submission was still waiting for the frozen broker"
    assert outcome["response"].status_code == 302
    elapsed = outcome["elapsed"]
    assert elapsed <= RESPONSE_BOUND_SECONDS, f"the submission took {elapsed:.1f} s with the broker frozen"
    assert Bid.objects.get(pk=bid.pk).state == BidState.IN_REVIEW
    rows = Notification.objects.filter(reference=bid.reference)
    assert rows.exists()
    assert set(rows.values_list("status", flat=True)) == {Status.PENDING}
    assert "the sweep will send them" in caplog.text


def test_after_a_failed_publish_the_broker_is_left_alone_for_a_while(celery_app, monkeypatch, settings, caplog):
    from notifications.services import broker_backoff, enqueue_delivery

    settings.NOTIFICATIONS_BROKER_BACKOFF = 30
    attempts = []

    def failing_publish(*args, **kwargs):
        attempts.append(args)
        raise ConnectionError("broker hung")

    from notifications.tasks import deliver_notification

    monkeypatch.setattr(deliver_notification, "apply_async", failing_publish)
    assert enqueue_delivery([1, 2]) == 0
    assert enqueue_delivery([3]) == 0
    assert len(attempts) == 1, "one failure, then the sweep's job"
    assert enqueue_delivery([3], sweeping=True) == 0
    assert len(attempts) == 2, "the sweep always tries"
    broker_backoff.reset()
    assert enqueue_delivery([4]) == 0
    assert len(attempts) == 3

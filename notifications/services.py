"""The outbox: domain services call `notify` inside their transaction; delivery happens after commit."""

from __future__ import annotations

from collections.abc import Iterable


def notify(*, event: str, recipients: Iterable, context: dict, key: str) -> None:
    """Record that `recipients` must hear about `event`, in the caller's transaction.

    `key` identifies the occurrence of the event (e.g. "bid_submitted:42:3"); with the recipient it makes the
    dedupe key, so recording the same occurrence twice sends one message. `context` is a JSON-serialisable
    snapshot of what the message needs (reference, title, amounts, relative links).
    """
    # The outbox table and delivery arrive with the notifications issue; until then events are dropped here.
    return None

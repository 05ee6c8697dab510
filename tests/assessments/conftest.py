"""Fixtures for assessment tests: a recorder in place of the notifications outbox, staff, assessors."""

from __future__ import annotations

import pytest

from tests.factories.assessments import make_assessor, make_staff


class Outbox:
    def __init__(self) -> None:
        self.calls: list[dict] = []

    def __call__(self, *, event: str, recipients, context: dict, key: str) -> None:
        self.calls.append({"event": event, "recipients": list(recipients), "context": context, "key": key})

    def events(self, event: str) -> list[dict]:
        return [call for call in self.calls if call["event"] == event]


@pytest.fixture
def outbox(monkeypatch) -> Outbox:
    """Every `notify` the assessment services make (the outbox itself belongs to the notifications app)."""
    recorder = Outbox()
    monkeypatch.setattr("assessments.services.notify", recorder)
    return recorder


@pytest.fixture
def staff(db):
    return make_staff()


@pytest.fixture
def assessors(db):
    return [make_assessor(name=f"Assessor {letter}") for letter in "ABC"]

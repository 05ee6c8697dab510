"""Races, one way: the calls start together and each runs on its own database connection, as two web requests or
two workers would. Only PostgreSQL's row locks make these meaningful (use the `require_postgres` fixture and
`@pytest.mark.django_db(transaction=True)`)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection

from core.exceptions import ApplicationError


def at_once(*calls: Callable[[], object], timeout: float = 30) -> list[object]:
    """Run each call in a thread of its own, released together at a barrier. Returns, in the order given, what
    each call returned or the exception it raised (a thread's exception is otherwise lost)."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=timeout)
            outcomes[index] = call()
        except BaseException as error:
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    if any(thread.is_alive() for thread in threads):
        raise AssertionError(f"A call was still running after {timeout} seconds")
    return outcomes


def refusals(outcomes: list[object]) -> list[str]:
    """The messages of the calls the service refused; any other exception fails the test with its own trace."""
    for outcome in outcomes:
        if isinstance(outcome, BaseException) and not isinstance(outcome, ApplicationError):
            raise outcome
    return [outcome.message for outcome in outcomes if isinstance(outcome, ApplicationError)]

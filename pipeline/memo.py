"""A per-process memo for reference data the staff pages read on every request (rounds, council names).

Kept as Python objects in this process, without the pickling a Django cache backend does on every read —
for a list of 317 councils that unpickling cost more than the rest of the search. Entries expire after
their time; `memo_clear()` empties it (tests, or after changing rounds in a shell).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

_entries: dict[str, tuple[float, object]] = {}
_lock = threading.Lock()


def memo(key: str, seconds: float, build: Callable[[], T]) -> T:
    now = time.monotonic()
    entry = _entries.get(key)
    if entry is not None and entry[0] > now:
        return entry[1]  # type: ignore[return-value]
    value = build()
    with _lock:
        _entries[key] = (now + seconds, value)
    return value


def memo_clear() -> None:
    with _lock:
        _entries.clear()

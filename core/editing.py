"""Saves that never silently undo someone else's.

A page that edits something more than one person may edit (a round's settings, a monitoring report, a project's
lessons learned, a milestone) carries a fingerprint of the values it showed, in its hidden `seen` field. The
service compares it, under the row lock, with the fingerprint of what is saved now: if someone saved in between
(a colleague, or the same person in another tab), nothing is saved and `EditConflictError` carries what is saved
now and the fingerprint a deliberate second save sends. The page keeps what was typed and shows what was saved
(`form_after_conflict`, `components/conflict.html`). Bid sections keep a counter per section
(`Bid.section_versions`) to the same end.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from django import forms

from core.exceptions import EditConflictError


def conflict_message(what: str, *, plural: bool = False) -> str:
    """The one way a refused save is explained: `what` ("This section") was saved since the page was opened — by
    a colleague or by the person themselves in another tab, which the service cannot tell apart."""
    verb = "were" if plural else "was"
    return (
        f"{what} {verb} saved after you opened this page (by a colleague, or by you in another tab), so your "
        "changes have not been saved. What is saved now is shown below. Your changes are still in the form: "
        "check them and save again."
    )


def fingerprint(values: Mapping[str, object]) -> str:
    """What a page showed, in 16 hex characters (Decimals and dates by their text, so 5.0 and 5.00 differ only if
    the database says so)."""
    text = json.dumps(values, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def require_unchanged(*, seen: str | None, current: Mapping[str, object], message: str) -> None:
    """Refuse a save based on a page that showed other values than are saved now. `seen` None is a caller with
    no page (a command, a service calling another): it saves what it is given."""
    if seen is None:
        return
    now = fingerprint(current)
    if seen != now:
        raise EditConflictError(message, current=dict(current), version=now)


class SeenField(forms.CharField):
    """The hidden fingerprint of what the page showed. Missing (a request made by hand, a page from before the
    field), it is None: the save goes ahead as sent."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)

    def clean(self, value: object) -> str | None:
        return super().clean(value) or None


def form_after_conflict(
    form_class: type[forms.Form],
    data: Mapping[str, object],
    conflict: EditConflictError,
    *,
    name: str = "seen",
    **kwargs,
) -> forms.Form:
    """The refused form again: what was typed, with the fingerprint (or version: `name`) of what is saved now, so
    its next save is a deliberate one, and the conflict's message above it."""
    kept = data.copy() if hasattr(data, "copy") else dict(data)
    kept[name] = str(conflict.version)
    form = form_class(kept, **kwargs)
    form.is_valid()
    form.add_error(None, conflict.message)
    return form

"""The one transition runner every state machine uses (bids, assessments, and any machine added later).

A service calls `machine.run(obj, "submit", by=user, note=...)` inside its `transaction.atomic()`. The runner
refuses, in this order and each with a message people understand: the wrong state ("This bid is awarded, so it
cannot be withdrawn"), the wrong person (the transition's `rules` permission), unmet conditions (each
condition's own reason, attached with `@refusal`); then it runs the transition, saves (a stale concurrent save
becomes "This bid changed while you were working on it…") and records the history row. django-fsm's private
`_django_fsm` metadata is read here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django_fsm import ConcurrentTransition, TransitionNotAllowed, can_proceed

from core.exceptions import ApplicationError, Problem

NO_PERMISSION = "You do not have permission to do that"

Refusal = str | Callable[[Any], "str | Iterable[Problem]"]


def refusal(reason: Refusal) -> Callable[[Callable[[Any], bool]], Callable[[Any], bool]]:
    """Attach to a transition condition the reason it gives when unmet: a message, or a function of the
    object returning a message or a list of problems."""

    def decorate(condition: Callable[[Any], bool]) -> Callable[[Any], bool]:
        condition.refusal = reason  # type: ignore[attr-defined]
        return condition

    return decorate


def _meta(method: Any) -> Any:
    return method._django_fsm


def _unmet_reasons(instance: Any, method: Any) -> list[Problem]:
    transition = _meta(method).get_transition(_state(instance, method))
    problems: list[Problem] = []
    for condition in transition.conditions if transition else ():
        if condition(instance):
            continue
        reason = getattr(condition, "refusal", None)
        if callable(reason):
            reason = reason(instance)
        if isinstance(reason, str):
            problems.append(Problem(reason))
        elif reason:
            problems.extend(reason)
    return problems


def _state(instance: Any, method: Any) -> str:
    return _meta(method).field.get_state(instance)


def state_label(instance: Any, method: Any) -> str:
    field = _meta(method).field
    name = field if isinstance(field, str) else field.name
    return str(getattr(instance, f"get_{name}_display")()).lower()


@dataclass(frozen=True)
class Machine:
    """How one model's transitions are run and told: its noun, the past tense of each transition for
    messages, and how a history row is recorded."""

    noun: str
    past: Mapping[str, str]
    record: Callable[..., object]  # (instance, transition, source_state, by, note) → the history row
    # How a refusal says the state a label does not read well after "is" in ("This round has published its
    # decisions"); any other state reads "is <its label>" ("This bid is draft").
    state_words: Mapping[str, str] = field(default_factory=dict)

    def in_state(self, instance: Any, method: Any) -> str:
        return self.state_words.get(_state(instance, method), f"is {state_label(instance, method)}")

    @property
    def stale_message(self) -> str:
        return (
            f"This {self.noun} changed while you were working on it, so nothing was saved. "
            "Check its current state and try again."
        )

    def check(self, instance: Any, name: str, by: Any | None) -> None:
        """Refuse from the wrong state or by the wrong person, before any other rule is looked at.
        `by=None` means the system itself (no permission to check)."""
        method = getattr(instance, name)
        if not can_proceed(method, check_conditions=False):
            raise ApplicationError(
                f"This {self.noun} {self.in_state(instance, method)}, so it cannot be {self.past[name]}"
            )
        # Permission is asked on its own (django-fsm's has_transition_perm also requires the conditions) so
        # that a permitted person hears which rules are unmet rather than "no permission".
        if by is not None and not _meta(method).has_transition_perm(instance, _state(instance, method), by):
            raise ApplicationError(NO_PERMISSION)

    def refusals(self, instance: Any, name: str, by: Any | None) -> list[Problem]:
        """Why `run` would refuse the transition now (empty when it would run): for pages that offer it."""
        try:
            self.check(instance, name, by)
        except ApplicationError as error:
            return error.problems
        method = getattr(instance, name)
        if can_proceed(method):
            return []
        return _unmet_reasons(instance, method) or [Problem(f"This {self.noun} cannot be {self.past[name]} yet")]

    def run(self, instance: Any, name: str, *, by: Any | None, note: str = "", **kwargs: object) -> Any:
        """Check, transition, save and record; call inside `transaction.atomic()`. A refusal changes nothing."""
        self.check(instance, name, by)
        method = getattr(instance, name)
        source = _state(instance, method)
        if not can_proceed(method):
            problems = _unmet_reasons(instance, method)
            message = f"This {self.noun} cannot be {self.past[name]} yet"
            if problems:
                message = f"{message}: {'; '.join(problem.message for problem in problems)}"
            raise ApplicationError(message, problems=problems)
        try:
            method(**kwargs)
        except TransitionNotAllowed as error:  # a condition changed between the check and the call
            raise ApplicationError(f"This {self.noun} cannot be {self.past[name]} yet") from error
        try:
            instance.save()
        except ConcurrentTransition as error:
            raise ApplicationError(self.stale_message) from error
        self.record(instance, name, source, by, note)
        return instance


def required_text(text: str | None, message: str, field: str = "") -> str:
    """The stripped text, or a refusal naming the form field where it is missing."""
    text = (text or "").strip()
    if not text:
        raise ApplicationError(message, problems=[Problem(message, field=field)])
    return text

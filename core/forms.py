"""Turning a service's refusal into form errors, the one way every view does it."""

from __future__ import annotations

from typing import Any

from core.exceptions import ApplicationError


def apply_problems(form: Any, error: ApplicationError, field_aliases: dict[str, str] | None = None) -> None:
    """Show each problem inline on its field (through `field_aliases` when the form names it differently),
    or in the error summary when the form has no such field."""
    field_aliases = field_aliases or {}
    for problem in error.problems:
        field = field_aliases.get(problem.field, problem.field)
        form.add_error(field if field in form.fields else None, problem.message)

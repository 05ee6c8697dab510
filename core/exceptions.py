"""The one exception type services raise; views turn it into a GOV.UK error summary."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import Http404


@dataclass
class Problem:
    """One unmet rule, in words a council officer understands, with where to fix it."""

    message: str
    field: str = ""
    section: str = ""


@dataclass
class ApplicationError(Exception):
    message: str
    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.message)
        if not self.problems:
            self.problems = [Problem(self.message)]

    def __str__(self) -> str:
        return self.message

    @classmethod
    def from_validation_error(cls, error: ValidationError) -> ApplicationError:
        """A model's `full_clean()` refusal, each message kept on its field."""
        problems = [
            Problem(str(message), field=name if name != NON_FIELD_ERRORS else "")
            for name, messages in error.message_dict.items()
            for message in messages
        ]
        return cls(problems[0].message, problems=problems)


@dataclass
class EditConflictError(ApplicationError):
    """Someone saved the thing being edited after this page was opened, so nothing was saved: `current` is what
    is saved now, and `version` what a deliberate second save sends (`core.editing`)."""

    current: dict = field(default_factory=dict)
    version: int | str = 0


class Refused(PermissionDenied):
    """Someone may see the page but not do what they sent (a partner council answering the lead's question):
    answered 403 with `reason`, in their words, not as a page that does not exist."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Gone(Http404):
    """A page that was the user's and has been taken from them (an assessment unassigned from its assessor): it
    is answered 410 with what happened and where to go (`core.middleware.GonePagesMiddleware`), not as an
    address mistyped. Raise it only to the person the page was for: it says the page existed."""

    def __init__(self, *, heading: str, explanation: str, link_text: str, link_url: str) -> None:
        super().__init__(heading)
        self.heading = heading
        self.explanation = explanation
        self.link_text = link_text
        self.link_url = link_url

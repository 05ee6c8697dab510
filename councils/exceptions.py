"""The one exception type services raise; views turn it into a GOV.UK error summary."""

from dataclasses import dataclass, field


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

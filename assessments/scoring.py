"""The scoring arithmetic, kept free of the database so it can be checked against hand-computed examples.

Scale 1 (Poor) to 5 (Strong). A criterion's score is the assessors' mean, or staff's moderated score when one
is recorded. The bid's weighted score is on 0–100: sum(weight × (score − 1) / 4), weights totalling 100, so
all-1s give 0 and all-5s give 100. Means are kept exact until the end and only the shown figures are rounded
to two places, so the final score never carries a double rounding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

TWO_PLACES = Decimal("0.01")


def two_places(value: Decimal) -> Decimal:
    return value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class CriterionInput:
    pk: int
    name: str
    code: str
    weight: Decimal


@dataclass
class CriterionResult:
    criterion: CriterionInput
    scores: list[int]
    mean: Decimal | None
    moderated: Decimal | None
    divergent: bool

    @property
    def spread(self) -> int:
        return max(self.scores) - min(self.scores) if self.scores else 0

    @property
    def score(self) -> Decimal | None:
        """The score that counts: the moderated one when recorded, else the mean."""
        return self.moderated if self.moderated is not None else self.mean

    @property
    def awaiting_moderation(self) -> bool:
        return self.divergent and self.moderated is None

    def as_json(self) -> dict:
        return {
            "name": self.criterion.name,
            "code": self.criterion.code,
            "weight": str(self.criterion.weight),
            "scores": self.scores,
            "mean": str(two_places(self.mean)) if self.mean is not None else None,
            "moderated": str(self.moderated) if self.moderated is not None else None,
            "score": str(two_places(self.score)) if self.score is not None else None,
            "divergent": self.divergent,
        }


@dataclass
class Aggregate:
    criteria: list[CriterionResult] = field(default_factory=list)

    @property
    def needs_moderation(self) -> bool:
        return any(result.awaiting_moderation for result in self.criteria)

    @property
    def flagged(self) -> list[CriterionResult]:
        return [result for result in self.criteria if result.awaiting_moderation]

    @property
    def weighted_score(self) -> Decimal | None:
        """0–100, two places; None while any criterion lacks a score or awaits moderation."""
        if self.needs_moderation or any(result.score is None for result in self.criteria):
            return None
        total = sum(
            (result.criterion.weight * (result.score - 1) / 4 for result in self.criteria),
            Decimal("0"),
        )
        return two_places(total)

    def as_json(self) -> dict:
        """What the bid stores in `criterion_scores`, keyed by criterion id (as JSON needs string keys)."""
        return {str(result.criterion.pk): result.as_json() for result in self.criteria}


def aggregate(
    *,
    criteria: list[CriterionInput],
    scores: dict[int, list[int]],
    moderated: dict[int, Decimal],
    divergence_threshold: Decimal,
) -> Aggregate:
    """Combine every assessor's scores per criterion (`scores[criterion_pk]`) into the bid's result."""
    results = []
    for criterion in criteria:
        values = sorted(scores.get(criterion.pk, []))
        mean = Decimal(sum(values)) / len(values) if values else None
        divergent = bool(values) and Decimal(values[-1] - values[0]) >= divergence_threshold
        results.append(
            CriterionResult(
                criterion=criterion,
                scores=values,
                mean=mean,
                moderated=moderated.get(criterion.pk),
                divergent=divergent,
            )
        )
    return Aggregate(criteria=results)

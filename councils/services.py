"""Writes for councils and people."""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from core.exceptions import ApplicationError
from councils.choices import COUNCIL_TYPE_FROM_CSV
from councils.models import Council

COUNCILS_CSV = Path(__file__).resolve().parent / "data" / "english-councils.csv"
REQUIRED_COLUMNS = {"register_code", "official_name", "short_name", "gss_code", "council_type", "region"}


@dataclass
class LoadResult:
    created: int
    updated: int
    unchanged: int


def council_load_from_csv(*, path: Path = COUNCILS_CSV, progress: Callable[[int], None] | None = None) -> LoadResult:
    """Create or update councils from the register CSV. Idempotent; a bad file changes nothing."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = REQUIRED_COLUMNS - set(reader.fieldnames or [])
            if missing:
                raise ApplicationError(f"{path.name} is missing the column(s): {', '.join(sorted(missing))}")
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ApplicationError(f"Could not read {path}: {error}") from error

    parsed = []
    for line_number, row in enumerate(rows, start=2):
        council_type = COUNCIL_TYPE_FROM_CSV.get(row["council_type"].strip())
        code = row["register_code"].strip()
        if not council_type or len(code) != 3 or not row["gss_code"].strip().startswith("E"):
            raise ApplicationError(f"{path.name} line {line_number}: not a valid English council row")
        parsed.append(
            {
                "register_code": code,
                "official_name": " ".join(row["official_name"].split()),
                "short_name": row["short_name"].strip(),
                "gss_code": row["gss_code"].strip(),
                "council_type": council_type,
                "region": row["region"].strip(),
            }
        )

    existing = {council.register_code: council for council in Council.objects.all()}
    result = LoadResult(0, 0, 0)
    with transaction.atomic():
        for index, values in enumerate(parsed, start=1):
            council = existing.get(values["register_code"])
            if council is None:
                Council.objects.create(**values)
                result.created += 1
            elif any(getattr(council, key) != value for key, value in values.items()):
                for key, value in values.items():
                    setattr(council, key, value)
                council.save()
                result.updated += 1
            else:
                result.unchanged += 1
            if progress:
                progress(index)
    return result

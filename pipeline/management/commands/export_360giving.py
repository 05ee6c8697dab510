"""manage.py export_360giving: write the awarded grants as a 360Giving package (the file /funded/ serves)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from bids.choices import RoundState
from bids.models import FundingRound
from core.formatting import plural
from pipeline.opendata import package_chunks, package_filename
from pipeline.opendata_schema import package_errors
from pipeline.selectors import funded_bids


class Command(BaseCommand):
    help = "Write the awarded grants (all rounds, or one with --round CODE) as a 360Giving JSON package."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--round", dest="code", help="A round's short code, e.g. R6 (default: every round)")
        parser.add_argument("-o", "--output", help="File to write (default: the standard file name; - for stdout)")
        parser.add_argument(
            "--validate", action="store_true", help="Check the written file against the 360Giving schema"
        )

    def handle(self, *args, code: str | None, output: str | None, validate: bool, **options) -> None:
        funding_round = None
        if code:
            funding_round = FundingRound.objects.filter(code__iexact=code).first()
            if funding_round is None:
                raise CommandError(f"No round has the code {code}")
        total = funded_bids(funding_round=funding_round).count()
        if total == 0:
            # The 360Giving standard has no empty package; write nothing rather than an invalid file.
            if funding_round is not None and funding_round.state != RoundState.PUBLISHED:
                raise CommandError(
                    f"{funding_round.name}'s decisions are not published yet, so it has no grants to export"
                )
            raise CommandError("Nothing has been awarded yet, so there are no grants to export")
        count = 0
        if output == "-":
            for chunk in package_chunks(funding_round=funding_round):
                sys.stdout.write(chunk)
            return
        path = Path(output or package_filename(funding_round))
        if path.is_dir():
            raise CommandError(
                f"{path} is a folder: give a file name, such as {path / package_filename(funding_round)}"
            )
        if not path.parent.is_dir():
            raise CommandError(f"There is no folder {path.parent}: create it, or give another file name")
        # Written beside the file and moved into place once whole: a failure leaves the old file as it was.
        partial = path.with_name(f".{path.name}.partial")
        progress = tqdm(total=total, desc="Grants", unit="grant", disable=options.get("verbosity", 1) < 1)
        try:
            with partial.open("w", encoding="utf-8") as file, progress:
                for chunk in package_chunks(funding_round=funding_round):
                    file.write(chunk)
                    is_grant = chunk.startswith((",\n", "\n{"))
                    count += is_grant
                    progress.update(is_grant)
            partial.replace(path)
        except OSError as error:
            partial.unlink(missing_ok=True)
            raise CommandError(f"Could not write {path}: {error.strerror or error}") from error
        self.stdout.write(self.style.SUCCESS(f"Wrote {plural(count, 'grant')} to {path}"))
        if validate:
            errors = package_errors(json.loads(path.read_text(encoding="utf-8")))
            if errors:
                raise CommandError("The file is not valid 360Giving data:\n" + "\n".join(errors[:20]))
            self.stdout.write(self.style.SUCCESS("Valid against the 360Giving package schema 1.4.3"))

"""manage.py load_councils: create or update the 317 English councils from the committed CSV."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from core.exceptions import ApplicationError
from councils.services import COUNCILS_CSV, council_load_from_csv


class Command(BaseCommand):
    help = "Load English councils from a register CSV (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--path", type=Path, default=COUNCILS_CSV)

    def handle(self, *args, **options) -> None:
        bar = tqdm(total=None, desc="Councils", unit="council", disable=options["verbosity"] < 1)
        try:
            result = council_load_from_csv(path=options["path"], progress=lambda _i: bar.update(1))
        except ApplicationError as error:
            raise CommandError(str(error)) from error
        finally:
            bar.close()
        self.stdout.write(
            f"Councils: {result.created} created, {result.updated} updated, {result.unchanged} unchanged."
        )

"""manage.py rebuild_similarity_index: embed every bid's and every call's text again, then every round's
overlaps. Needs no network: the model is installed as a package."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from tqdm import tqdm

from bids.models import Bid
from collaboration.services import similarity_index_rebuild
from core.formatting import plural


class Command(BaseCommand):
    help = "Rebuild the similar-work index from the database (every bid and call for partners), with progress."

    def handle(self, *args, **options) -> None:
        started = time.perf_counter()
        with tqdm(total=Bid.objects.count(), unit="bid", desc="Indexing", disable=options["verbosity"] == 0) as bar:
            result = similarity_index_rebuild(progress=bar.update)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Indexed {plural(result['bids'], 'bid')} and {plural(result['calls'], 'call')} for partners in "
                f"{elapsed:.1f}s; overlap flags changed on {plural(result['overlaps_changed'], 'bid')}"
            )
        )

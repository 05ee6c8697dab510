"""manage.py seed_scale --bids 10000: a programme at scale, bulk-inserted, for load tests and the benchmark."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from bids.choices import BidState
from bids.models import FundingRound
from pipeline.seeding import seed_programme


class Command(BaseCommand):
    help = (
        "Bulk-insert a realistic programme: rounds, bids in every state across councils, partners, costs, "
        "history, ~2.5 assessments per bid and their scores. Adds new rounds; existing data is left alone."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--bids", type=int, default=10_000, help="How many bids (default 10,000)")
        parser.add_argument("--rounds", type=int, default=10, help="Over how many new rounds (default 10)")
        parser.add_argument("--tag", default="", help="Round code prefix (default: the next free SCn)")
        parser.add_argument("--only-state", choices=BidState.values, help="Put every bid in this state")
        parser.add_argument("--seed", type=int, default=1, help="Random seed, for a repeatable dataset")

    def handle(self, *args, bids: int, rounds: int, tag: str, only_state: str | None, seed: int, **options) -> None:
        if bids < 1 or rounds < 1 or rounds > 99:
            raise CommandError("Give at least 1 bid and between 1 and 99 rounds")
        if bids / rounds > 9999:
            raise CommandError("At most 9,999 bids per round: add more rounds")
        tag = tag or self._free_tag()
        if FundingRound.objects.filter(code__startswith=tag).exists():
            raise CommandError(f"Rounds with codes starting {tag} already exist: choose another --tag")
        started = time.perf_counter()
        with tqdm(total=bids, unit="bid", desc="Seeding", disable=options["verbosity"] == 0) as bar:
            result = seed_programme(
                bids=bids, rounds=rounds, tag=tag, only_state=only_state, seed=seed, progress=bar.update
            )
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {result.bids:,} bids in {len(result.rounds)} rounds ({tag}01…) in {elapsed:.1f}s: "
                f"{result.partners:,} partners, {result.cost_lines:,} cost lines, {result.history:,} history rows, "
                f"{result.assessments:,} assessments, {result.scores:,} scores. "
                f"Staff login: {result.staff.email} / localdigital-scale"
            )
        )

    def _free_tag(self) -> str:
        # Round codes are letters and digits only (and bid references are built from them): S1R01, S2R01…
        n = 1
        while FundingRound.objects.filter(code__startswith=f"S{n}R").exists():
            n += 1
        return f"S{n}R"

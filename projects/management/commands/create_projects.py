"""Make the projects and offers of awards in rounds published before projects existed (safe to run again)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from bids.choices import RoundState
from bids.models import FundingRound
from projects.services import projects_create_for_round


class Command(BaseCommand):
    help = "Make a project with a grant offer for each award of a published round that has none yet"

    def handle(self, *args: object, **options: object) -> None:
        made = 0
        for funding_round in FundingRound.objects.filter(state=RoundState.PUBLISHED).order_by("opens_at", "pk"):
            made += len(projects_create_for_round(funding_round=funding_round))
        self.stdout.write(f"{made} project(s) made")

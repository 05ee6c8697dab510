"""Where the projects app hears of what happens below it: a round's decisions published (bids'
`round_decisions_published`) makes each award a project with an offer, in the publishing transaction."""

from __future__ import annotations

from bids.signals import round_decisions_published
from projects.services import projects_create_for_round


def on_round_decisions_published(sender, *, funding_round, by=None, **kwargs) -> None:
    projects_create_for_round(funding_round=funding_round, by=by)


def connect() -> None:
    round_decisions_published.connect(on_round_decisions_published, dispatch_uid="projects.create_on_publication")

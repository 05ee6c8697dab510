"""Signals the bid services send for apps that must react in the same transaction but that bids may not import
(the assessments app sits above bids). Receivers run synchronously inside the sender's transaction; an error
in one rolls the whole change back."""

from __future__ import annotations

from django.dispatch import Signal

# A council has become part of a bid: sent with `bid`, `council` and `by` (the person who made the change) when a
# partner confirms. (The lead council is set once, when the bid is started, before anyone can assess it.)
council_joined_bid = Signal()

# A round's decisions have been published: sent with `funding_round`, `by` (who published them), `awarded` and
# `not_funded` (the round's bids of each decision), inside the publishing transaction, after the councils'
# messages are in the outbox and before it commits. Apps above bids hook what follows an award onto it (projects
# and offers): a receiver's error rolls the publication back, so nothing is published half done.
round_decisions_published = Signal()

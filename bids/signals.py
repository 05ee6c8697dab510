"""Signals the bid services send for apps that must react in the same transaction but that bids may not import
(the assessments app sits above bids). Receivers run synchronously inside the sender's transaction; an error
in one rolls the whole change back."""

from __future__ import annotations

from django.dispatch import Signal

# A council has become part of a bid: sent with `bid`, `council` and `by` (the person who made the change) when a
# partner confirms. (The lead council is set once, when the bid is started, before anyone can assess it.)
council_joined_bid = Signal()

# The text of a bid changed: sent with `bid` and `fields` (the names of the fields saved) in the transaction that
# saved them, so an app above bids (collaboration's similar-work index) can note that it must look again.
bid_content_changed = Signal()

# A bid moved from one state to another: sent with `bid`, `transition`, `source` and `target` in the transaction
# that records the change (collaboration closes a call for partners when its bid is submitted or withdrawn).
bid_state_changed = Signal()

# A council-facing page of a bid is being shown: sent with `bid`, `user` and `page` ("task_list" while the lead
# drafts, "bid" otherwise). Each receiver returns a `bids.panels.Panel` (a template and its context) or None; the
# page shows the panels it is given, so apps above bids add what they know without bids importing them.
bid_page_panels = Signal()
# A round's decisions have been published: sent with `funding_round`, `by` (who published them), `awarded` and
# `not_funded` (the round's bids of each decision), inside the publishing transaction, after the councils'
# messages are in the outbox and before it commits. Apps above bids hook what follows an award onto it (projects
# and offers): a receiver's error rolls the publication back, so nothing is published half done.
round_decisions_published = Signal()

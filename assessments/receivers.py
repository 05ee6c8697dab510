"""Where the assessments app hears of changes in apps below it that cannot call it: a council joining a bid
(bids' `council_joined_bid`) or a person joining a council (a saved Membership). Either may put an assessor's
own council in a bid they assess, so the assessment becomes conflicted in the same transaction."""

from __future__ import annotations

from assessments.services import assessments_conflict_on_joining, assessments_conflict_on_membership
from bids.signals import council_joined_bid
from councils.models import Membership


def on_council_joined_bid(sender, *, bid, council, by=None, **kwargs) -> None:
    assessments_conflict_on_joining(bid=bid, council=council, by=by)


def on_membership_saved(sender, *, instance: Membership, raw: bool = False, **kwargs) -> None:
    if raw:  # loading fixtures: no domain rules run
        return
    assessments_conflict_on_membership(user=instance.user, council=instance.council)


def connect() -> None:
    from django.db.models.signals import post_save

    council_joined_bid.connect(on_council_joined_bid, dispatch_uid="assessments.conflict_on_joining")
    post_save.connect(on_membership_saved, sender=Membership, dispatch_uid="assessments.conflict_on_membership")

"""Existing rounds get the state their dates and bids imply, once, when rounds gain a state machine.

The rule (also in docs/domain.md):
- not yet at its opening time: upcoming;
- between its opening and closing times: open;
- past its closing time, with any bid awarded or not funded: decisions published (those decisions were told to
  councils and published the moment they were made, so they stay published);
- past its closing time, with a bid scored or any assessment started: assessing;
- otherwise past its closing time: closed.
Bids already past the sift (assessed, scored or decided) are recorded as sifted eligible, and ineligible bids as
sifted ineligible with their reason, so assignment (which needs a sift) carries on where it was.
"""

from django.db import migrations
from django.db.models import Max
from django.utils import timezone

NOTE = "Set when rounds gained a state, from their dates and bids"


def forwards(apps, schema_editor):
    FundingRound = apps.get_model("bids", "FundingRound")
    Bid = apps.get_model("bids", "Bid")
    BidSift = apps.get_model("bids", "BidSift")
    RoundTransition = apps.get_model("bids", "RoundTransition")
    Assessment = apps.get_model("assessments", "Assessment")
    now = timezone.now()
    assessed_bids = set(Assessment.objects.values_list("bid_id", flat=True))
    for funding_round in FundingRound.objects.all():
        bids = Bid.objects.filter(funding_round=funding_round)
        decided = bids.filter(state__in=["awarded", "not_funded"])
        fields = {}
        if now < funding_round.opens_at:
            state = "upcoming"
        elif now < funding_round.closes_at:
            state, fields = "open", {"opened_at": funding_round.opens_at}
        else:
            fields = {"opened_at": funding_round.opens_at, "closed_at": funding_round.closes_at}
            if decided.exists():
                state = "decisions_published"
                fields["decisions_published_at"] = decided.aggregate(last=Max("decided_at"))["last"] or now
            elif bids.filter(state="scored").exists() or bids.filter(pk__in=assessed_bids).exists():
                state = "assessing"
            else:
                state = "closed"
        FundingRound.objects.filter(pk=funding_round.pk).update(state=state, **fields)
        RoundTransition.objects.create(
            funding_round_id=funding_round.pk, transition="migrate", source_state="", target_state=state, note=NOTE
        )
    sifts = []
    for bid in Bid.objects.filter(state__in=["in_review", "scored", "awarded", "not_funded", "ineligible"]):
        if bid.state == "ineligible":
            sifts.append(BidSift(bid_id=bid.pk, decision="ineligible", note=bid.status_note, at=bid.decided_at or now))
        elif bid.state != "in_review" or bid.pk in assessed_bids:
            sifts.append(BidSift(bid_id=bid.pk, decision="eligible", note=NOTE, at=now))
    BidSift.objects.bulk_create(sifts, ignore_conflicts=True)


def backwards(apps, schema_editor):
    apps.get_model("bids", "BidSift").objects.all().delete()
    apps.get_model("bids", "RoundTransition").objects.filter(transition="migrate").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("bids", "0005_round_lifecycle_sift_and_clarifications"),
        ("assessments", "0004_moderation_in_assessment_history"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]

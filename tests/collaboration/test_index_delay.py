"""A draft's text is re-embedded SIMILARITY_INDEX_DELAY seconds after a change, so the sections a council saves one
after another cost one model pass (most of a second of CPU a bid), not one each."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from bids import services as bid_services
from collaboration import services, tasks
from collaboration.models import BidTextIndex
from tests.factories import make_bid, make_council, make_round, make_user

pytestmark = pytest.mark.django_db

ABOUT = {
    "title": "Resident parking permits online",
    "summary": "Households renew permits by post.",
    "phase": "discovery",
}


@pytest.fixture
def queued(settings, monkeypatch):
    """Through Celery (not inline), with every queued index task recorded as the broker would get it."""
    settings.SIMILARITY_INDEX_INLINE = False
    settings.SIMILARITY_INDEX_DELAY = 60
    calls: list[tuple[tuple, dict]] = []
    monkeypatch.setattr(tasks.index_bid, "apply_async", lambda args, **options: calls.append((args, options)))
    return calls


@pytest.fixture
def embeddings(monkeypatch):
    """How many bids the model embeds."""
    count = [0]
    real = services.embed_many

    def counting(values, **kwargs):
        count[0] += len(values)
        return real(values, **kwargs)

    monkeypatch.setattr(services, "embed_many", counting)
    return count


def test_sections_saved_one_after_another_are_embedded_once_after_the_delay(
    queued, embeddings, django_capture_on_commit_callbacks
):
    lead = make_user(councils=[make_council("DLA")])
    bid = make_bid(funding_round=make_round(code="DL1"), lead=lead.councils.get(), partners=[make_council()], by=lead)
    for section, values in (
        ("about", ABOUT),
        ("problem", {"problem": "Paper forms and queues at the counter.", "user_needs": "Renew from a phone."}),
    ):
        bid.refresh_from_db()
        with django_capture_on_commit_callbacks(execute=True):
            bid_services.bid_section_update(
                bid=bid, by=lead, section=section, version=bid.section_versions.get(section, 0), values=values
            )
    assert [options["countdown"] for _args, options in queued] == [60, 60]
    assert BidTextIndex.objects.get(bid=bid).stale

    # The two delayed tasks run: the first embeds the text as it is now, the second finds it embedded already.
    for args, _options in queued:
        tasks.index_bid(*args)
    assert embeddings[0] == 1
    row = BidTextIndex.objects.get(bid=bid)
    assert not row.stale and row.version


def test_the_sweep_leaves_a_row_whose_delayed_task_is_not_yet_due(queued, embeddings):
    lead = make_user(councils=[make_council("DLB")])
    bid = make_bid(funding_round=make_round(code="DL2"), lead=lead.councils.get(), partners=[make_council()], by=lead)
    BidTextIndex.objects.update_or_create(
        bid=bid, defaults={"stale": True, "marked_at": timezone.now() - timedelta(seconds=90)}
    )
    assert services.similarity_index_sweep() == 0
    BidTextIndex.objects.filter(bid=bid).update(marked_at=timezone.now() - timedelta(seconds=121))
    assert services.similarity_index_sweep() == 1
    assert embeddings[0] == 1

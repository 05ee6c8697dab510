"""The similar-work finder measured on labelled texts: the development set given with the issue
(`data/similar-bids-dev.json`, copied here) and a second set written for this project with other themes and
wording (`data/similar-bids-check.json`). For both: every project finds another of its theme among its top 3,
and no unrelated text finds anything at or above the score at which the pages call work related."""

from __future__ import annotations

import pytest

from collaboration.selectors import similar_work
from collaboration.similarity import related_score
from councils.choices import Role
from tests.factories import make_council, make_round, make_user
from tests.factories.collaboration import labelled, seed_texts

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("dataset", ["similar-bids-dev.json", "similar-bids-check.json"])
def test_every_project_finds_its_theme_in_the_top_3_and_unrelated_texts_find_nothing_related(dataset):
    texts = labelled(dataset)
    bids = seed_texts(texts, funding_round=make_round(code="Q1"), council=make_council("QQQ", "Quality"))
    staff = make_user(role=Role.PROGRAMME_STAFF)
    theme_of = {bid.reference: theme for bid, (theme, _title, _text) in zip(bids, texts, strict=True)}
    misses, noisy = [], []
    for bid, (theme, title, _text) in zip(bids, texts, strict=True):
        if theme is None:
            found = similar_work(bid=bid, user=staff)
            if found:
                noisy.append((title, [(work.title, work.score) for work in found]))
            continue
        if sum(other == theme for other in theme_of.values()) < 2:
            continue  # a theme of one: nothing to find
        top = similar_work(bid=bid, user=staff, limit=3, threshold=-1.0)
        if not any(theme_of[work.reference] == theme for work in top):
            misses.append((title, [(work.title, work.score) for work in top]))
    assert misses == [], f"projects whose theme is not in their top 3: {misses}"
    assert noisy == [], f"unrelated texts found related work (threshold {related_score()}): {noisy}"


def test_a_project_is_told_why_it_matched_in_the_words_both_use():
    texts = [
        ("taxi", "Taxi and private hire licensing", "Drivers renew their hackney carriage licences on paper."),
        ("taxi", "Licensing for cab drivers", "Checking the licences of minicab drivers takes weeks."),
    ]
    first, second = seed_texts(texts, funding_round=make_round(code="Q2"), council=make_council("QQR", "Quality"))
    [work] = similar_work(bid=first, user=make_user(role=Role.PROGRAMME_STAFF))
    assert work.reference == second.reference
    assert 0 < work.score <= 1
    assert {"licensing", "drivers"} <= set(work.shared_terms)

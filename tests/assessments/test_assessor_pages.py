"""What assessors and staff read on the assessment pages: the supporting documents beside the bid (for an
assessor who has declared no conflict), the justification's minimum in the hint, a submitted assessment said
once, and moderation kept in the assessment history."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assessments.conditions import MIN_JUSTIFICATION_WORDS
from assessments.models import AssessmentTransition
from assessments.services import moderation_record
from bids import services as bid_services
from tests.factories import make_bid, make_council, make_round, make_user
from tests.factories.assessments import assign, make_assessor, make_in_review_bid, score_all

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def bid_with_document(funding_round, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    lead = make_user(councils=[make_council()])
    bid = make_bid(
        funding_round=funding_round, lead=lead.councils.get(), partners=[make_council(), make_council()], by=lead
    )
    document = bid_services.document_upload(bid=bid, by=lead, upload=SimpleUploadedFile("research.pdf", PDF))
    return bid_services.bid_submit(bid=bid, by=lead), document


def test_an_assessor_who_declared_no_conflict_sees_and_downloads_the_documents(
    client, bid_with_document, staff, outbox
):
    bid, document = bid_with_document
    [assessment] = assign(bid, [make_assessor()], by=staff)
    client.force_login(assessment.assessor)
    download = reverse("bids:document", args=[bid.reference, document.pk])
    assert client.get(download).status_code == 404  # not before declaring
    client.post(reverse("assessments:declare", args=[assessment.pk]), {"conflict": "no"})
    page = client.get(reverse("assessments:score", args=[assessment.pk])).content.decode()
    assert "Supporting documents" in page
    assert f'href="{download}" download>research.pdf</a>' in page
    response = client.get(download)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")


def test_a_conflicted_assessor_never_gets_the_documents(client, bid_with_document, staff, outbox):
    bid, document = bid_with_document
    [assessment] = assign(bid, [make_assessor()], by=staff)
    client.force_login(assessment.assessor)
    client.post(reverse("assessments:declare", args=[assessment.pk]), {"conflict": "yes", "details": "I advised"})
    assert client.get(reverse("bids:document", args=[bid.reference, document.pk])).status_code == 404


def test_the_justification_minimum_is_in_the_hint(client, funding_round, staff, outbox):
    bid = make_in_review_bid(funding_round=funding_round)
    [assessment] = assign(bid, [make_assessor()], by=staff)
    client.force_login(assessment.assessor)
    client.post(reverse("assessments:declare", args=[assessment.pk]), {"conflict": "no"})
    page = client.get(reverse("assessments:score", args=[assessment.pk])).content.decode()
    hint = f"At least a sentence ({MIN_JUSTIFICATION_WORDS} words or more): what in the bid led you to this score"
    assert page.count(hint) == funding_round.criteria.count()


def test_a_submitted_assessment_says_submitted_once(client, funding_round, staff, outbox):
    bid = make_in_review_bid(funding_round=funding_round)
    first, _second = assign(bid, [make_assessor(), make_assessor()], by=staff)
    score_all(first, 4)
    client.force_login(first.assessor)
    page = client.get(reverse("assessments:detail", args=[first.pk])).content.decode()
    assert "Submitted</strong> on " in page
    assert "Submitted Submitted" not in page and "</strong> Submitted" not in page


def test_moderation_is_recorded_in_the_assessment_history(client, staff, outbox):
    funding_round = make_round(assessors_per_bid=2)
    bid = make_in_review_bid(funding_round=funding_round)
    first, second = assign(bid, [make_assessor(), make_assessor()], by=staff)
    score_all(first, [5, 4, 4])
    score_all(second, [2, 4, 4])
    strategic = funding_round.criteria.get(code="strategic_fit")
    bid.refresh_from_db()
    moderation_record(bid=bid, criterion=strategic, score="4", note="Agreed at panel", by=staff)
    row = AssessmentTransition.objects.get(transition="moderate")
    assert (row.bid_id, row.assessor_id, row.by_id) == (bid.pk, None, staff.pk)
    assert row.note == "Strategic fit: 4.00 (the assessors' mean was 3.50). Agreed at panel"
    client.force_login(staff)
    page = client.get(reverse("assessments:bid", args=[bid.reference])).content.decode()
    history = page[page.index("Assessment history") :]
    assert "<strong>Moderated score recorded</strong>" in history
    assert "Agreed at panel" in history and staff.full_name in history

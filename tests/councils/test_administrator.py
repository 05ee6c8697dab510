"""The administrator (a Django superuser) configures the service in Django admin; in the service itself they act
only as the role they hold. Django's superuser shortcut must never answer a domain (`rules`) permission."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assessments import services as assessment_services
from assessments.choices import AssessmentState
from bids import services
from bids.choices import BidState
from bids.models import BidPartner
from core.exceptions import ApplicationError
from core.rules import STAFF_PAGES
from councils.choices import Role
from councils.models import User
from tests.factories import make_bid, make_council, make_submitted_bid, make_user
from tests.factories.assessments import assign, make_assessor

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def administrator(db) -> User:
    return User.objects.create_superuser(email="admin@example.test", password="pw", full_name="Ada Admin")


@pytest.fixture
def draft(funding_round, councils):
    return make_bid(funding_round=funding_round, lead=councils["lead"], partners=[councils["p1"]])


DOMAIN_PERMISSIONS_OF_COUNCILS_AND_ASSESSORS = [
    "bids.edit_bid",
    "bids.submit_bid",
    "bids.withdraw_bid",
    "bids.respond_to_invitation",
]


@pytest.mark.parametrize("perm", DOMAIN_PERMISSIONS_OF_COUNCILS_AND_ASSESSORS)
def test_superuser_does_not_hold_councils_permissions_on_a_bid(administrator, draft, perm):
    assert administrator.is_superuser
    assert not administrator.has_perm(perm, draft)
    assert not administrator.has_perm(perm)
    assert not administrator.has_perms([perm, "bids.view_bid"], draft)


def test_superuser_keeps_the_permissions_of_the_role_they_hold(administrator, draft):
    # Role.ADMIN is programme staff (tests/councils/test_rules.py): they see bids and decide them.
    assert administrator.has_perm("bids.view_bid", draft)
    assert administrator.has_perm("bids.decide_bid", draft)
    assert administrator.has_perm(STAFF_PAGES)
    # A superuser whose role is a council member is not staff in the service.
    administrator.role = Role.COUNCIL_MEMBER
    assert not administrator.has_perm("bids.decide_bid", draft)
    assert not administrator.has_perm(STAFF_PAGES)


def test_superuser_keeps_django_admin_model_permissions(administrator):
    for perm in ("bids.change_bid", "bids.add_fundinground", "councils.change_user", "assessments.delete_assessment"):
        assert administrator.has_perm(perm), perm
    assert administrator.has_module_perms("bids")


def test_an_inactive_person_holds_no_domain_permission(draft):
    lead = make_user(councils=[draft.lead_council])
    assert lead.has_perm("bids.edit_bid", draft)
    lead.is_active = False
    assert not lead.has_perm("bids.edit_bid", draft)


def test_superuser_cannot_edit_invite_upload_or_withdraw_a_councils_bid(
    administrator, draft, councils, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(ApplicationError, match="Only members of the lead council"):
        services.bid_update(bid=draft, by=administrator, title="Changed by admin")
    with pytest.raises(ApplicationError, match="Only members of the lead council"):
        services.partner_invite(bid=draft, council=councils["p2"], by=administrator)
    with pytest.raises(ApplicationError, match="Only members of the lead council"):
        services.document_upload(
            bid=draft, by=administrator, upload=SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")
        )
    with pytest.raises(ApplicationError, match="permission"):
        services.bid_withdraw(bid=draft, by=administrator, reason="Because I can")
    with pytest.raises(ApplicationError, match="permission"):
        services.bid_submit(bid=draft, by=administrator)
    draft.refresh_from_db()
    assert draft.state == BidState.DRAFT and draft.title != "Changed by admin"
    assert not BidPartner.objects.filter(bid=draft, council=councils["p2"]).exists()


def test_superuser_gets_404_on_a_councils_drafting_pages(administrator, draft, client):
    client.force_login(administrator)
    for name in ("bids:partners", "bids:documents", "bids:check", "bids:costs"):
        assert client.get(reverse(name, kwargs={"reference": draft.reference})).status_code == 404, name
    url = reverse("bids:section", kwargs={"reference": draft.reference, "section": "about"})
    assert client.post(url, {"title": "Admin title", "version": "0"}).status_code == 404
    assert client.post(reverse("bids:withdraw", kwargs={"reference": draft.reference})).status_code == 404


def test_superuser_cannot_declare_or_score_as_an_assessor(administrator, funding_round, councils):
    bid = make_submitted_bid(
        funding_round=funding_round, lead=councils["lead"], partners=[councils["p1"], councils["p2"]]
    )
    (assessment,) = assign(bid, [make_assessor()], by=administrator)
    with pytest.raises(ApplicationError, match="permission"):
        assessment_services.assessment_declare(assessment=assessment, by=administrator, conflict=False)
    assessment.refresh_from_db()
    assert assessment.state == AssessmentState.ASSIGNED
    assessment_services.assessment_declare(assessment=assessment, by=assessment.assessor, conflict=False)
    with pytest.raises(ApplicationError, match="permission"):
        assessment_services.assessment_save_scores(
            assessment=assessment, by=administrator, scores={}, recommendation="fund", comments="Scored by admin"
        )
    with pytest.raises(ApplicationError, match="permission"):
        assessment_services.assessment_submit(assessment=assessment, by=administrator)
    assert not bid.assessment_history.filter(by=administrator).exclude(transition="assign").exists()


def test_admin_actions_act_as_the_role_the_administrator_holds(administrator, funding_round, councils, client):
    bid = make_submitted_bid(
        funding_round=funding_round, lead=councils["lead"], partners=[councils["p1"], councils["p2"]]
    )
    url = reverse("admin:bids_bid_changelist")
    # Withdrawing is the lead council's to do, so Django admin does not offer it.
    client.force_login(administrator)
    assert "bid_withdraw" not in client.get(url).content.decode()
    # A superuser who is not programme staff is refused by the service the action calls.
    administrator.role = Role.COUNCIL_MEMBER
    administrator.save()
    data = {"action": "bid_mark_ineligible", "_selected_action": [bid.pk], "apply": "1", "note": "Out of scope"}
    response = client.post(url, data, follow=True)
    assert "You do not have permission to do that" in response.content.decode()
    bid.refresh_from_db()
    assert bid.state == BidState.IN_REVIEW
    # As programme staff (Role.ADMIN) the same action runs.
    administrator.role = Role.ADMIN
    administrator.save()
    client.post(url, data)
    bid.refresh_from_db()
    assert bid.state == BidState.INELIGIBLE
    assert bid.history.last().by == administrator


def test_a_bids_content_and_partnerships_are_read_only_in_django_admin(administrator, draft, client):
    """A bid changes only through the services (drafting rules, the conflict-of-interest rule); Django admin
    shows it. Rounds stay configurable there."""
    client.force_login(administrator)
    response = client.get(reverse("admin:bids_bid_change", args=[draft.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    for name in ("lead_council", "title", "summary", "partners-0-status", "cost_lines-0-amount"):
        assert f'name="{name}"' not in page, name
    data = {"title": "Changed by admin", "summary": "", "lead_council": draft.lead_council_id}
    assert client.post(reverse("admin:bids_bid_change", args=[draft.pk]), data).status_code == 403
    draft.refresh_from_db()
    assert draft.title != "Changed by admin"
    partner = draft.partners.first()
    page = client.get(reverse("admin:bids_bidpartner_change", args=[partner.pk])).content.decode()
    assert 'name="status"' not in page
    line = draft.cost_lines.first()
    page = client.get(reverse("admin:bids_costline_change", args=[line.pk])).content.decode()
    assert 'name="amount"' not in page
    page = client.get(reverse("admin:bids_fundinground_change", args=[draft.funding_round_id])).content.decode()
    assert 'name="budget"' in page


def test_a_superuser_who_is_a_council_member_acts_as_that_member(funding_round):
    council = make_council()
    person = make_user(councils=[council])
    person.is_superuser = person.is_staff = True
    person.save()
    bid = make_bid(funding_round=funding_round, lead=council, by=person)
    other = make_bid(funding_round=funding_round, lead=make_council())
    assert person.has_perm("bids.edit_bid", bid)
    assert not person.has_perm("bids.edit_bid", other)

"""Permission predicates for each role, and 404 (never 403) for what a user may not see."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assessments.choices import AssessmentState
from assessments.models import Assessment
from bids.selectors import bid_visible_queryset
from councils.choices import Role
from tests.factories import make_bid, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def bid(funding_round, councils):
    return make_bid(funding_round=funding_round, lead=councils["lead"], partners=[councils["p1"]])


@pytest.fixture
def people(bid, councils, staff_user):
    return {
        "lead": make_user(councils=[councils["lead"]]),
        "partner": councils["p1"].members.first(),
        "other": make_user(councils=[councils["other"]]),
        "assessor": make_user(role=Role.ASSESSOR, councils=[councils["other"]]),
        "staff": staff_user,
        "admin": make_user(role=Role.ADMIN),
    }


@pytest.mark.parametrize(
    ("who", "view", "edit", "submit", "decide"),
    [
        ("lead", True, True, True, False),
        ("partner", True, False, False, False),
        ("other", False, False, False, False),
        ("assessor", False, False, False, False),
        ("staff", True, False, False, True),
        ("admin", True, False, False, True),
    ],
)
def test_bid_permissions_by_role(bid, people, who, view, edit, submit, decide):
    user = people[who]
    assert user.has_perm("bids.view_bid", bid) is view
    assert user.has_perm("bids.edit_bid", bid) is edit
    assert user.has_perm("bids.submit_bid", bid) is submit
    assert user.has_perm("bids.decide_bid", bid) is decide
    assert (bid in bid_visible_queryset(user=user)) is view


def test_assessor_sees_only_assigned_bids_once_they_declare_no_conflict(bid, people, funding_round, councils):
    assessor = people["assessor"]
    other_bid = make_bid(funding_round=funding_round, lead=councils["p2"])
    conflicted_bid = make_bid(funding_round=funding_round, lead=councils["p3"])
    assessment = Assessment.objects.create(bid=bid, assessor=assessor)
    Assessment.objects.create(bid=conflicted_bid, assessor=assessor, state=AssessmentState.CONFLICTED)
    # Assigned but not yet declared: the bid's content stays closed.
    assert not assessor.has_perm("bids.view_bid", bid)
    Assessment.objects.filter(pk=assessment.pk).update(state=AssessmentState.IN_PROGRESS)
    assert assessor.has_perm("bids.view_bid", bid)
    assert not assessor.has_perm("bids.view_bid", other_bid)
    assert not assessor.has_perm("bids.view_bid", conflicted_bid)
    assert list(bid_visible_queryset(user=assessor)) == [bid]


def test_predicates_answer_false_without_an_object(people):
    # django-fsm and Django fall back to a global has_perm(perm) call with obj=None.
    for who in ("lead", "partner", "other", "assessor"):
        assert not people[who].has_perm("bids.submit_bid")
        assert not people[who].has_perm("bids.view_bid")


def test_anonymous_and_inactive_users_see_nothing(bid, people):
    from django.contrib.auth.models import AnonymousUser

    assert not AnonymousUser().has_perm("bids.view_bid", bid)
    lead = people["lead"]
    lead.is_active = False
    lead.save()
    assert list(bid_visible_queryset(user=lead)) == []


def test_member_of_another_council_gets_404_on_the_bid_page(client, bid, people):
    client.force_login(people["other"])
    response = client.get(reverse("bids:detail", kwargs={"reference": bid.reference}))
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_partner_member_can_open_the_bid_page(client, bid, people):
    client.force_login(people["partner"])
    response = client.get(reverse("bids:detail", kwargs={"reference": bid.reference}))
    assert response.status_code == 200


def test_signed_out_visitor_is_sent_to_sign_in(client, bid):
    response = client.get(reverse("bids:detail", kwargs={"reference": bid.reference}))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("role", "start"),
    [
        (Role.COUNCIL_MEMBER, "bids:list"),
        (Role.ASSESSOR, "assessments:list"),
        (Role.PROGRAMME_STAFF, "pipeline:dashboard"),
        (Role.ADMIN, "pipeline:dashboard"),
    ],
)
def test_home_sends_each_role_to_its_start_page(client, role, start):
    client.force_login(make_user(role=role))
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse(start)


def test_home_for_visitors_offers_sign_in(client):
    response = client.get("/")
    assert response.status_code == 200
    assert reverse("login") in response.content.decode()


@pytest.mark.parametrize(
    "path",
    ["/pipeline/", "/pipeline/bids/", "/assessments/staff/", "/notifications/outbox/"],
)
def test_every_staff_page_is_behind_the_one_staff_gate(client, people, path):
    """One gate, one permission: signed-in non-staff get 404 on every staff page; staff get in."""
    from core.rules import STAFF_PAGES

    assert people["staff"].has_perm(STAFF_PAGES) and not people["lead"].has_perm(STAFF_PAGES)
    client.force_login(people["lead"])
    assert client.get(path).status_code == 404
    client.force_login(people["staff"])
    assert client.get(path).status_code == 200

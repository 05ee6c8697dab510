"""Fixtures for project tests: a round published with one award, so its project and offer exist."""

from __future__ import annotations

from decimal import Decimal

import pytest

from councils.choices import Role
from projects.models import Project
from tests.factories import award, make_council, make_round, make_user, publish_decisions
from tests.factories.assessments import make_in_review_bid, make_scored_bid


@pytest.fixture
def staff(db):
    return make_user(role=Role.PROGRAMME_STAFF, email="pat@example.test", name="Pat Programme")


@pytest.fixture
def staff2(db):
    return make_user(role=Role.PROGRAMME_STAFF, email="sam@example.test", name="Sam Second")


@pytest.fixture
def world(staff):
    """Round PJ published: a £100,000 award led by Leadshire with two confirmed partners."""
    funding_round = make_round(code="PJ", budget="500000")
    lead = make_council("PJL", "Leadshire")
    partners = [make_council("PJA", "Partnerton"), make_council("PJB", "Partnerby")]
    bid = make_in_review_bid(funding_round=funding_round, lead=lead, partners=partners, amount="80000")
    bid = make_scored_bid(funding_round=funding_round, bid=bid)
    award(bid, amount=Decimal("80000"), conditions="Show and tell every quarter", by=staff)
    publish_decisions(funding_round, by=staff)
    lead_user = lead.members.first()
    officer = make_user(councils=[lead], email="s151@example.test", name="Sue Officer")
    partner_user = partners[0].members.first()
    other = make_council("PJO", "Otherham")
    other_user = make_user(councils=[other], email="other@example.test")
    project = Project.objects.get(bid=bid)
    return {
        "round": funding_round,
        "bid": bid,
        "project": project,
        "lead": lead,
        "lead_user": lead_user,
        "officer": officer,
        "partner_user": partner_user,
        "other": other,
        "other_user": other_user,
        "staff": staff,
    }

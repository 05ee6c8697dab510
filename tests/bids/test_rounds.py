"""Funding rounds: defaults, validation of dates and weights, in the service and in Django admin."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from bids import services
from bids.choices import CriterionCode, Phase
from bids.models import FundingRound
from core.exceptions import ApplicationError
from councils.choices import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def round_kwargs(**overrides):
    now = timezone.now()
    values = {
        "name": "Round 9",
        "code": "R9",
        "opens_at": now,
        "closes_at": now + timedelta(days=30),
        "budget": Decimal("750000"),
        "phase_caps": {Phase.DISCOVERY: Decimal("80000")},
    }
    values.update(overrides)
    return values


def test_round_defaults_follow_the_fund():
    funding_round = services.round_create(**round_kwargs())
    assert funding_round.min_partner_councils == 2
    assert funding_round.max_bids_led_per_council == 2
    assert funding_round.assessors_per_bid == 2
    assert funding_round.divergence_threshold == Decimal("2")
    criteria = list(funding_round.criteria.values_list("code", "name", "weight"))
    assert criteria == [
        (CriterionCode.STRATEGIC_FIT, "Strategic fit", Decimal("33.34")),
        (CriterionCode.DELIVERABILITY, "Deliverability", Decimal("33.33")),
        (CriterionCode.VALUE_FOR_MONEY, "Value for money", Decimal("33.33")),
    ]
    assert sum(weight for *_rest, weight in criteria) == Decimal("100")


def test_round_with_closing_before_opening_is_refused():
    now = timezone.now()
    with pytest.raises(Exception, match="closing date must be after the opening date"):
        services.round_create(**round_kwargs(closes_at=now - timedelta(days=1)))
    assert not FundingRound.objects.exists()


def test_round_with_weights_not_totalling_100_is_refused():
    with pytest.raises(ApplicationError, match="must total 100%; they total 90"):
        services.round_create(
            **round_kwargs(criteria=[("strategic_fit", "Fit", Decimal("50")), ("other", "Delivery", Decimal("40"))])
        )
    assert not FundingRound.objects.exists()


def admin_post_data(**overrides):
    data = {
        "name": "Round 10",
        "code": "R10",
        "opens_at_0": "01/03/2027",
        "opens_at_1": "09:00",
        "closes_at_0": "30/04/2027",
        "closes_at_1": "17:00",
        "assessment_deadline_0": "31/05/2027",
        "assessment_deadline_1": "17:00",
        "budget": "1500000",
        "min_partner_councils": "2",
        "max_bids_led_per_council": "2",
        "assessors_per_bid": "2",
        "divergence_threshold": "2",
        "phases-TOTAL_FORMS": "1",
        "phases-INITIAL_FORMS": "0",
        "phases-MIN_NUM_FORMS": "0",
        "phases-MAX_NUM_FORMS": "1000",
        "phases-0-phase": "discovery",
        "phases-0-cap": "80000",
        "criteria-TOTAL_FORMS": "3",
        "criteria-INITIAL_FORMS": "0",
        "criteria-MIN_NUM_FORMS": "0",
        "criteria-MAX_NUM_FORMS": "1000",
    }
    for index, (code, name, weight) in enumerate(
        [
            ("strategic_fit", "Strategic fit", "40"),
            ("deliverability", "Deliverability", "30"),
            ("value_for_money", "Value for money", "30"),
        ]
    ):
        data.update(
            {
                f"criteria-{index}-code": code,
                f"criteria-{index}-name": name,
                f"criteria-{index}-weight": weight,
                f"criteria-{index}-position": str(index),
            }
        )
    data.update(overrides)
    return data


@pytest.fixture
def admin_client(client):
    admin = make_user(role=Role.ADMIN)
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    return client


def test_admin_add_round_form_starts_with_the_three_criteria(admin_client):
    response = admin_client.get("/django-admin/bids/fundinground/add/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="Strategic fit"' in html and 'value="Value for money"' in html


def test_admin_saves_a_valid_round(admin_client):
    response = admin_client.post("/django-admin/bids/fundinground/add/", admin_post_data())
    assert response.status_code == 302, response.content.decode()[:2000]
    funding_round = FundingRound.objects.get(code="R10")
    assert funding_round.criteria.count() == 3
    assert funding_round.opens_at.tzinfo is not None


def test_admin_refuses_weights_that_do_not_total_100(admin_client):
    response = admin_client.post("/django-admin/bids/fundinground/add/", admin_post_data(**{"criteria-0-weight": "50"}))
    assert response.status_code == 200
    assert "Criteria weights must total 100%; they total 110" in response.content.decode()
    assert not FundingRound.objects.exists()


def test_admin_refuses_invalid_dates(admin_client):
    response = admin_client.post("/django-admin/bids/fundinground/add/", admin_post_data(closes_at_0="01/02/2027"))
    assert response.status_code == 200
    assert "The closing date must be after the opening date" in response.content.decode()
    assert not FundingRound.objects.exists()

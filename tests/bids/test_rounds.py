"""Funding rounds: defaults, validation of dates and weights, in the service and in Django admin."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.forms import inlineformset_factory
from django.utils import timezone

from bids import services
from bids.admin import RoundPhaseFormSet
from bids.choices import CriterionCode, Phase
from bids.models import FundingRound, RoundPhase
from core.exceptions import ApplicationError
from councils.choices import Role
from tests.factories import make_round, make_user

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


def test_admin_keeps_an_open_rounds_caps_from_falling(db):
    """The admin's phase rows are checked by the set-up pages' rules: while councils write bids to an open round,
    a cap may rise but not fall."""
    funding_round = make_round()
    phases = inlineformset_factory(
        FundingRound, RoundPhase, formset=RoundPhaseFormSet, fields=["phase", "cap"], extra=0
    )

    def posted(discovery_cap: str) -> dict:
        data = {"phases-TOTAL_FORMS": "3", "phases-INITIAL_FORMS": "3", "phases-MIN_NUM_FORMS": "0"}
        for index, row in enumerate(funding_round.phases.order_by("pk")):
            cap = discovery_cap if row.phase == "discovery" else str(row.cap)
            data.update({f"phases-{index}-id": str(row.pk), f"phases-{index}-phase": row.phase})
            data.update({f"phases-{index}-funding_round": str(funding_round.pk), f"phases-{index}-cap": cap})
        return data

    lowered = phases(posted("50000"), instance=funding_round, prefix="phases")
    assert not lowered.is_valid()
    assert "the discovery phase cannot be removed or its cap lowered below £80,000" in str(lowered.non_form_errors())
    assert phases(posted("90000"), instance=funding_round, prefix="phases").is_valid()


def test_admin_refuses_invalid_dates(admin_client):
    response = admin_client.post("/django-admin/bids/fundinground/add/", admin_post_data(closes_at_0="01/02/2027"))
    assert response.status_code == 200
    assert "The closing date must be after the opening date" in response.content.decode()
    assert not FundingRound.objects.exists()


# --- Setting up and changing a round: the rules, and what may change once it has moved on ------------------


def test_a_new_round_is_upcoming_and_must_close_in_the_future():
    funding_round = services.round_create(**round_kwargs(opens_at=timezone.now() + timedelta(days=1)))
    assert funding_round.state == "upcoming"
    assert not funding_round.is_open()
    with pytest.raises(ApplicationError) as error:
        services.round_create(
            **round_kwargs(
                name="Round 8",
                code="R8",
                opens_at=timezone.now() - timedelta(days=9),
                closes_at=timezone.now() - timedelta(days=1),
            )
        )
    assert [(p.field, p.message) for p in error.value.problems] == [
        ("closes_at", "The closing time must be in the future")
    ]


def test_every_set_up_rule_is_reported_at_once_each_on_its_field():
    make_round = services.round_create
    make_round(**round_kwargs())
    with pytest.raises(ApplicationError) as error:
        make_round(
            **round_kwargs(
                code="R9",  # taken
                closes_at=timezone.now() - timedelta(days=1),
                phase_caps={},
                criteria=[("strategic_fit", "Fit", Decimal("50")), ("other", "fit", Decimal("40"))],
            )
        )
    problems = {(p.field, p.message) for p in error.value.problems}
    assert ("code", "A round with the code R9 already exists: choose another") in problems
    assert ("closes_at", "The closing date must be after the opening date") in problems
    assert ("phases", "Choose at least one of the phases discovery, alpha or beta, each with a cap") in problems
    assert ("criteria", "Give each criterion a different name") in problems
    assert ("criteria", "Criteria weights must total 100%; they total 90%") in problems


@pytest.mark.parametrize("code", ["R9", "r9"])
def test_a_code_taken_in_any_letters_case_is_refused_once_on_the_code(code):
    """R9 and r9 would be one round to people and to the filters that find a round by its code."""
    services.round_create(**round_kwargs())
    with pytest.raises(ApplicationError) as error:
        services.round_create(**round_kwargs(code=code, name="Another round"))
    assert [(p.field, p.message) for p in error.value.problems] == [
        ("code", f"A round with the code {code} already exists: choose another")
    ]
    assert FundingRound.objects.count() == 1


def test_the_database_refuses_a_code_in_other_letters_case():
    services.round_create(**round_kwargs())
    existing = FundingRound.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        FundingRound.objects.create(
            name="Copy", code="r9", opens_at=existing.opens_at, closes_at=existing.closes_at, budget=Decimal("1")
        )


def test_set_up_is_for_programme_staff():
    with pytest.raises(ApplicationError, match="permission"):
        services.round_create(**round_kwargs(), by=make_user())


@pytest.fixture
def staff(db):
    return make_user(role=Role.PROGRAMME_STAFF)


def test_an_upcoming_round_can_change_anything(staff):
    funding_round = services.round_create(**round_kwargs(opens_at=timezone.now() + timedelta(days=2)))
    changed = services.round_update(
        funding_round=funding_round,
        by=staff,
        code="R9B",
        opens_at=timezone.now() + timedelta(days=3),
        min_partner_councils=1,
        phase_caps={Phase.ALPHA: Decimal("250000")},
        criteria=[("strategic_fit", "Fit", Decimal("60"), "Reuse"), ("value_for_money", "Value", Decimal("40"))],
    )
    assert (changed.code, changed.min_partner_councils) == ("R9B", 1)
    assert list(changed.phases.values_list("phase", flat=True)) == [Phase.ALPHA]
    assert list(changed.criteria.values_list("name", "guidance")) == [("Fit", "Reuse"), ("Value", "")]
    assert (
        changed.history.last().note
        == "Changed: code, opening time, minimum partner councils, phases and caps, criteria"
    )


def test_once_open_the_code_opening_time_and_bid_rules_are_fixed_and_caps_only_rise(staff):
    funding_round = open_round_up()
    with pytest.raises(ApplicationError) as error:
        services.round_update(
            funding_round=funding_round,
            by=staff,
            code="ZZ",
            opens_at=funding_round.opens_at - timedelta(days=1),
            max_bids_led_per_council=5,
            phase_caps={
                Phase.DISCOVERY: Decimal("70000"),
                Phase.ALPHA: Decimal("250000"),
                Phase.BETA: Decimal("350000"),
            },
        )
    problems = {(p.field, p.message) for p in error.value.problems}
    assert ("code", "The round has opened: the code is in its bids’ references") in problems
    assert ("opens_at", "The round has opened, so its opening time is fixed") in problems
    assert ("max_bids_led_per_council", "The round has opened: councils are writing bids to these rules") in problems
    funding_round.refresh_from_db()
    assert funding_round.code == "UP"
    with pytest.raises(ApplicationError, match="the beta phase cannot be removed or its cap lowered below £350,000"):
        services.round_update(
            funding_round=funding_round,
            by=staff,
            phase_caps={Phase.DISCOVERY: Decimal("80000"), Phase.ALPHA: Decimal("250000")},
        )
    with pytest.raises(ApplicationError, match="The closing time must be in the future"):
        services.round_update(funding_round=funding_round, by=staff, closes_at=timezone.now() - timedelta(hours=1))
    later = funding_round.closes_at + timedelta(days=7)
    changed = services.round_update(
        funding_round=funding_round,
        by=staff,
        name="Round UP (extended)",
        closes_at=later,
        phase_caps={Phase.DISCOVERY: Decimal("90000"), Phase.ALPHA: Decimal("250000"), Phase.BETA: Decimal("350000")},
    )
    assert (changed.name, changed.closes_at) == ("Round UP (extended)", later)
    assert dict(changed.phases.values_list("phase", "cap")) == {
        Phase.DISCOVERY: Decimal("90000.00"),
        Phase.ALPHA: Decimal("250000.00"),
        Phase.BETA: Decimal("350000.00"),
    }


def open_round_up():
    from tests.factories import make_round

    return make_round(code="UP", budget="200000", assessors_per_bid=1)


def test_criteria_are_fixed_once_an_assessment_has_started_and_the_budget_never_drops_below_awards(staff):
    from assessments import services as assessment_services
    from tests.factories import award, start_deciding
    from tests.factories.assessments import assign, make_assessor, make_in_review_bid, score_all

    funding_round = open_round_up()
    bid = make_in_review_bid(funding_round=funding_round, amount="60000")
    [assessment] = assign(bid, [make_assessor()], by=staff)
    # Assessing, nobody has begun: still fixed, as the round is assessing.
    with pytest.raises(ApplicationError, match="Assessment has started, so the criteria"):
        services.round_update(funding_round=funding_round, by=staff, assessors_per_bid=3)
    assessment_services.assessment_declare(assessment=assessment, by=assessment.assessor, conflict=False)
    with pytest.raises(ApplicationError, match="Assessment has started, so the criteria and how they are scored"):
        services.round_update(funding_round=funding_round, by=staff, criteria=[("other", "Only one", Decimal("100"))])
    with pytest.raises(ApplicationError, match="The round has closed, so its closing time is fixed"):
        services.round_update(funding_round=funding_round, by=staff, closes_at=timezone.now() + timedelta(days=30))
    funding_round.refresh_from_db()
    services.round_update(funding_round=funding_round, by=staff, budget=Decimal("100000"))  # may fall, above awards
    score_all(assessment, 4)
    funding_round.refresh_from_db()
    funding_round = start_deciding(funding_round, by=staff)
    award(bid, amount="60000", by=staff)
    with pytest.raises(ApplicationError) as error:
        services.round_update(funding_round=funding_round, by=staff, budget=Decimal("59999.99"))
    assert [(p.field, p.message) for p in error.value.problems] == [
        ("budget", "The budget cannot be less than the £60,000.00 already awarded")
    ]
    assert services.round_update(funding_round=funding_round, by=staff, budget=Decimal("60000")).budget == 60000
    assert services.round_update(funding_round=funding_round, by=staff, budget=Decimal("900000")).budget == 900000
    with pytest.raises(ApplicationError, match="Assessment has finished: the round is deciding"):
        services.round_update(
            funding_round=funding_round, by=staff, assessment_deadline=timezone.now() + timedelta(days=90)
        )


def test_after_publication_nothing_changes(staff):
    from tests.factories import publish_decisions

    funding_round = publish_decisions(open_round_up(), by=staff)
    with pytest.raises(ApplicationError, match="decisions are published, so its settings are final"):
        services.round_update(funding_round=funding_round, by=staff, name="Renamed")
    with pytest.raises(ApplicationError, match="permission"):
        services.round_update(funding_round=funding_round, by=make_user(), name="Renamed")

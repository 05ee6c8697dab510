"""Projects above the pages that read them: the API, /funded/, the 360Giving dateModified, the dashboard's
delivery figures and the finance CSV."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from bids.models import Bid
from projects import services
from projects.choices import OutputKind, PaymentStatus
from projects.models import Project, ProjectTransition
from tests.factories import award, client_for, make_council, make_round, make_user, publish_decisions
from tests.factories.assessments import make_in_review_bid, make_scored_bid
from tests.factories.projects import accepted


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def paid_first_milestone(project: Project, staff, staff2) -> None:
    payment = project.payments.order_by("milestone__due_date").first()
    lead_user = project.lead_council.members.first()
    services.milestone_submit_evidence(milestone=payment.milestone, by=lead_user, evidence="Discovery report published")
    services.payment_propose(payment=payment, by=staff)
    services.payment_approve(payment=payment, by=staff2, paid_on=timezone.localdate())


def more_projects(staff, count: int, code: str = "PK") -> list[Project]:
    funding_round = make_round(code=code, budget="900000")
    bids = []
    for index in range(count):
        lead = make_council(f"{code[1]}{index}L", f"Council {code}{index}")
        partners = [make_council(f"{code[1]}{index}A"), make_council(f"{code[1]}{index}B")]
        bids.append(make_in_review_bid(funding_round=funding_round, lead=lead, partners=partners, amount="40000"))
    # Every bid in before the first is scored (scoring closes the round).
    bids = [make_scored_bid(funding_round=funding_round, bid=bid) for bid in bids]
    for bid in bids:
        award(bid, amount=Decimal("40000"), by=staff)
    publish_decisions(funding_round, by=staff)
    return list(Project.objects.filter(bid__in=bids))


# --- API ---------------------------------------------------------------------------------------------------


def test_anyone_reads_the_public_record_and_only_the_projects_councils_and_staff_its_delivery(world, staff2):
    project = accepted(world)
    paid_first_milestone(project, world["staff"], staff2)
    anonymous = APIClient()

    listing = anonymous.get("/api/projects/")
    assert listing.status_code == 200
    [row] = listing.json()["results"]
    assert row["reference"] == project.reference and row["state"] == "in_delivery"
    assert row["award_amount"] == "80000.00" and row["lead_council"]["name"].startswith("Leadshire")
    assert sorted(p["code"] for p in row["partners"]) == ["PJA", "PJB"]
    assert "delivery" not in row

    public = anonymous.get(f"/api/projects/{project.reference}/").json()
    assert "delivery" not in public
    for outsider in (world["other_user"], make_user(role="assessor")):
        assert "delivery" not in token_client(outsider).get(f"/api/projects/{project.reference}/").json()

    for user in (world["lead_user"], world["partner_user"], world["staff"]):
        detail = token_client(user).get(f"/api/projects/{project.reference}/").json()
        delivery = detail["delivery"]
        money = {"awarded": "80000.00", "scheduled": "80000.00", "paid": "30000.00", "due": "50000.00"}
        assert delivery["money"] == money
        assert [(m["title"], m["payment_status"]) for m in delivery["milestones"]] == [
            ("Discovery done", PaymentStatus.APPROVED),
            ("Alpha done", PaymentStatus.SCHEDULED),
        ]
        assert delivery["offer_conditions"] == "Show and tell every quarter"


def test_mine_lists_only_the_callers_projects_and_bad_filters_are_400s(world):
    assert APIClient().get("/api/projects/", {"mine": "true"}).json()["results"] == []
    assert token_client(world["other_user"]).get("/api/projects/", {"mine": "true"}).json()["results"] == []
    mine = token_client(world["lead_user"]).get("/api/projects/", {"mine": "true"}).json()["results"]
    assert [row["reference"] for row in mine] == [world["project"].reference]
    assert [r["reference"] for r in APIClient().get("/api/projects/", {"round": "PJ"}).json()["results"]] == [
        world["project"].reference
    ]
    assert APIClient().get("/api/projects/", {"state": "closed"}).json()["results"] == []
    for bad in ({"state": "paid"}, {"round": "R6; DROP"}, {"score": "1"}, {"mine": "perhaps"}):
        response = APIClient().get("/api/projects/", bad)
        assert response.status_code == 400, bad
        assert set(response.json()) == set(bad)
    assert APIClient().get("/api/projects/LDF-R1-9999/").status_code == 404


def test_the_project_list_costs_the_same_whatever_it_holds(world):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert APIClient().get("/api/projects/").status_code == 200
        return len(captured)

    few = queries()
    more_projects(world["staff"], 4)
    assert queries() == few


def test_the_openapi_schema_describes_the_projects_endpoints(db):
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert "/api/projects/" in schema["paths"] and "/api/projects/{reference}/" in schema["paths"]


# --- /funded/ and the 360Giving package --------------------------------------------------------------------


def test_funded_shows_each_projects_state_outputs_and_the_councils_reusing_them(client, world):
    project = accepted(world)
    services.output_add(
        project=project, by=world["lead_user"], title="Housing repairs code", url="https://github.com/x/y", kind="code"
    )
    services.reuse_record(
        project=project, by=world["other_user"], council=world["other"], note="We run it for our tenants"
    )
    page = client.get(reverse("pipeline:funded")).content.decode()
    assert "In delivery" in page
    assert 'href="https://github.com/x/y"' in page and "Housing repairs code" in page
    assert "Otherham" in page and "We run it for our tenants" in page


def test_funded_costs_the_same_whatever_it_holds(client, world):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("pipeline:funded")).status_code == 200
        return len(captured)

    few = queries()
    for project in more_projects(world["staff"], 3):
        Project.objects.filter(pk=project.pk).update(state="in_delivery")
        services.reuse_record(project=project, by=world["other_user"], council=world["other"], note="Reused")
    assert queries() == few


def grant_modified(client, bid: Bid) -> str:
    package = json.loads(b"".join(client.get(reverse("pipeline:funded_package")).streaming_content))
    [grant] = [g for g in package["grants"] if g["id"].endswith(bid.reference)]
    return grant["dateModified"]


def test_the_360giving_date_modified_follows_the_project(client, world, staff2):
    bid, project = world["bid"], world["project"]

    def a_month_ago() -> None:
        past = timezone.now() - timedelta(days=30)
        Bid.objects.filter(pk=bid.pk).update(updated_at=past)
        Project.objects.filter(pk=project.pk).update(updated_at=past)
        ProjectTransition.objects.filter(project=project).update(at=past)

    a_month_ago()
    before = grant_modified(client, bid)
    assert before < timezone.now().isoformat()[:10]
    accepted(world)
    assert grant_modified(client, bid) > before  # the offer accepted, a schedule set

    a_month_ago()
    services.reuse_record(project=project, by=world["other_user"], council=world["other"], note="Reused here")
    assert grant_modified(client, bid) > before  # another council reuses it


# --- Dashboard and finance ---------------------------------------------------------------------------------


def test_the_dashboard_counts_projects_money_spend_and_reuse(world, staff2):
    project = accepted(world)
    paid_first_milestone(project, world["staff"], staff2)
    others = more_projects(world["staff"], 2, code="PW")
    services.project_withdraw(project=others[0], by=world["staff"], reason="The lead council pulled out")
    services.reuse_record(project=project, by=world["other_user"], council=world["other"], note="Reused")
    staff = client_for(world["staff"])

    page = staff.get(reverse("pipeline:dashboard")).content.decode()
    assert 'id="projects-by-state"' in page
    summary = page[page.index('id="delivery-money"') :]
    # Awarded £160,000 (80,000 + 2 × 40,000); paid £30,000; due: the live projects' awards less paid.
    assert "£160,000" in summary and "£30,000" in summary and "£90,000" in summary
    assert "1 council reuses the outputs of 1 project" in summary
    assert "Paid £30,000 (19%)" in page  # the bar's own words: 18.75% rounds to 19, no longer truncated to 18

    one_round = staff.get(reverse("pipeline:dashboard"), {"round": world["round"].pk}).content.decode()
    assert 'id="money-by-project"' in one_round and project.reference in one_round
    assert others[1].reference not in one_round


def test_the_dashboards_delivery_figures_cost_the_same_whatever_they_hold(world, staff2):
    staff = client_for(world["staff"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert staff.get(reverse("pipeline:dashboard")).status_code == 200
        return len(captured)

    accepted(world)
    few = queries()
    for project in more_projects(world["staff"], 3):
        services.reuse_record(project=project, by=world["other_user"], council=world["other"], note="Reused")
    assert queries() == few


def test_finance_get_every_payment_in_a_csv_and_nobody_else_does(world, staff2):
    project = accepted(world)
    paid_first_milestone(project, world["staff"], staff2)
    response = client_for(world["staff"]).get(reverse("pipeline:finance_csv"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:3] == ["Round", "Project", "Title"]
    assert [(row[7], row[9], row[10]) for row in rows[1:]] == [
        ("Discovery done", "30000.00", "Approved and paid"),
        ("Alpha done", "50000.00", "Scheduled"),
    ]
    assert rows[1][11] == world["staff"].email and rows[1][13] == staff2.email
    for user in (world["lead_user"], world["other_user"], make_user(role="assessor")):
        assert client_for(user).get(reverse("pipeline:finance_csv")).status_code == 404


def test_finance_csv_cells_never_run_as_formulas(world):
    project = accepted(world)
    Project.objects.filter(pk=project.pk).update(title='=HYPERLINK("http://evil")')
    response = client_for(world["staff"]).get(reverse("pipeline:finance_csv"))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[1][2].startswith("'=")


@pytest.mark.parametrize("kind", OutputKind.values)
def test_output_kinds_have_labels_for_the_public_page(kind):
    assert OutputKind(kind).label


def test_projects_last_changed_moves_with_every_public_change(world):
    from projects.selectors import projects_last_changed

    project = world["project"]
    past = timezone.now() - timedelta(days=30)
    Project.objects.filter(pk=project.pk).update(updated_at=past)
    ProjectTransition.objects.filter(project=project).update(at=past)
    assert projects_last_changed() == past
    services.reuse_record(project=project, by=world["other_user"], council=world["other"], note="Reused")
    assert projects_last_changed() > past


def test_funded_is_fresh_once_a_project_changes_even_for_a_revalidating_visitor(world):
    from django.test import Client

    project = accepted(world)
    past = timezone.now() - timedelta(days=30)
    Bid.objects.update(updated_at=past)
    Project.objects.update(updated_at=past)
    ProjectTransition.objects.update(at=past)
    from bids.models import BidTransition, RoundTransition
    from projects.models import Payment

    BidTransition.objects.update(at=past)
    RoundTransition.objects.update(at=past)
    Payment.objects.update(approved_at=None)
    visitor = Client()
    first = visitor.get(reverse("pipeline:funded"))
    assert first.status_code == 200 and "Otherham" not in first.content.decode()
    stamp = first["Last-Modified"]
    assert visitor.get(reverse("pipeline:funded"), HTTP_IF_MODIFIED_SINCE=stamp).status_code == 304

    services.reuse_record(project=project, by=world["other_user"], council=world["other"], note="Reused here")
    again = visitor.get(reverse("pipeline:funded"), HTTP_IF_MODIFIED_SINCE=stamp)
    assert again.status_code == 200 and "Otherham" in again.content.decode()


def test_a_payment_a_withdrawn_project_will_never_make_is_released_everywhere(world, staff2):
    """Nothing more is paid on a withdrawn or closed project: its scheduled payment is 'released' on the pages,
    in the finance CSV and in the API, never still 'Scheduled' beside £0 due."""
    project = accepted(world)
    paid_first_milestone(project, world["staff"], staff2)
    services.project_withdraw(project=project, by=world["staff"], reason="Council pulled out")
    staff_page = client_for(world["staff"]).get(reverse("projects:staff_detail", args=[project.reference]))
    council_page = client_for(world["lead_user"]).get(reverse("projects:detail", args=[project.reference]))
    for page in (staff_page, council_page):
        assert "Not paid: released" in page.content.decode()
    response = client_for(world["staff"]).get(reverse("pipeline:finance_csv"))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [(row[7], row[10]) for row in rows[1:]] == [
        ("Discovery done", "Approved and paid"),
        ("Alpha done", "Not paid: released"),
    ]
    delivery = token_client(world["staff"]).get(f"/api/projects/{project.reference}/").json()["delivery"]
    assert [m["payment_status"] for m in delivery["milestones"]] == ["approved", "released"]
    assert delivery["money"]["due"] == "0.00"

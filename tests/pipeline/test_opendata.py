"""360Giving open data: the package validates against the official schema (resolved locally), the
validation really runs (hand-broken records are rejected), and the public page and downloads work."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from bids.choices import PartnerStatus
from bids.models import Bid, BidPartner
from pipeline.opendata_schema import package_errors
from tests.factories import award, decline, make_council, make_round, publish_decisions
from tests.factories.assessments import make_in_review_bid, make_scored_bid

pytestmark = pytest.mark.django_db


@pytest.fixture
def awarded(staff, settings):
    settings.OPEN_DATA_PREFIX = "TESTFUND"
    settings.FUNDING_ORG_ID = "GB-GOV-TEST"
    settings.FUNDING_ORG_NAME = "Test Department"
    funding_round = make_round(code="OD", budget="500000")
    lead = make_council("ODL", "Opendale")
    partners = [make_council("OP1", "Partnerfield"), make_council("OP2", "Partnerstow")]
    bid = make_in_review_bid(funding_round=funding_round, lead=lead, partners=partners, amount="60000")
    second = make_in_review_bid(funding_round=funding_round, lead=make_council("OD2", "Secondale"), amount="40000")
    third = make_in_review_bid(funding_round=funding_round, lead=make_council("OD3", "Unawarded"))
    bid, second, third = (make_scored_bid(funding_round=funding_round, bid=b) for b in (bid, second, third))
    award(bid, amount=Decimal("55000.50"), conditions="Weeknotes", by=staff)
    award(second, amount=Decimal("40000"), by=staff)
    decline(third, by=staff)  # not funded: not published as a grant
    publish_decisions(funding_round, by=staff)
    bid.refresh_from_db()
    return {"round": funding_round, "bid": bid, "lead": lead, "partners": partners, "second": second}


def download(client, url) -> dict:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return json.loads(b"".join(response.streaming_content))


def test_package_is_valid_360giving_with_the_grant_fields(client, awarded):
    package = download(client, reverse("pipeline:funded_package"))
    assert package_errors(package) == []
    assert len(package["grants"]) == 2
    grant = next(g for g in package["grants"] if g["id"].endswith(awarded["bid"].reference))
    bid = awarded["bid"]
    assert grant["id"] == f"360G-TESTFUND-{bid.reference}"
    assert grant["title"] == bid.title and grant["description"] == bid.summary
    assert grant["currency"] == "GBP"
    assert grant["amountAwarded"] == 55000.5 and grant["amountAppliedFor"] == 60000
    assert grant["awardDate"] == timezone.localtime(bid.decided_at).date().isoformat()
    assert grant["recipientOrganization"] == [{"id": "GB-LAE-ODL", "name": "Opendale Council"}]
    assert grant["fundingOrganization"] == [{"id": "GB-GOV-TEST", "name": "Test Department"}]
    assert grant["grantProgramme"] == [{"code": "OD", "title": awarded["round"].name}]
    assert [loc["geoCode"] for loc in grant["beneficiaryLocation"]] == [
        awarded["lead"].gss_code,
        *sorted(p.gss_code for p in awarded["partners"]),
    ]
    assert grant["plannedDates"][0]["startDate"] == bid.planned_start.isoformat()
    assert grant["plannedDates"][0]["duration"] == bid.duration_months
    assert "dateModified" in grant


def test_declined_partners_are_not_beneficiaries(client, awarded):
    BidPartner.objects.filter(bid=awarded["bid"], council=awarded["partners"][0]).update(status=PartnerStatus.DECLINED)
    package = download(client, reverse("pipeline:funded_round_package", args=["OD"]))
    grant = next(g for g in package["grants"] if g["id"].endswith(awarded["bid"].reference))
    assert awarded["partners"][0].gss_code not in {loc["geoCode"] for loc in grant["beneficiaryLocation"]}


@pytest.mark.parametrize(
    ("breakage", "path"),
    [
        (lambda g: g.pop("recipientOrganization"), ""),
        (lambda g: g.update(awardDate="07/03/2026"), "awardDate"),
        (lambda g: g.update(awardDate="2026-13-40"), "awardDate"),
        (lambda g: g.update(amountAwarded="lots"), "amountAwarded"),
        (lambda g: g.update(dateModified="yesterday"), "dateModified"),
        (lambda g: g["fundingOrganization"][0].pop("id"), "fundingOrganization"),
        (lambda g: g["plannedDates"][0].update(duration=-1), "plannedDates"),
    ],
)
def test_hand_broken_records_are_rejected_so_the_validation_runs(client, awarded, breakage, path):
    package = download(client, reverse("pipeline:funded_package"))
    assert package_errors(package) == []
    broken = copy.deepcopy(package)
    breakage(broken["grants"][0])
    errors = package_errors(broken)
    assert errors, "a broken record passed the schema"
    assert any(error.startswith(f"grants/0/{path}".rstrip("/")) for error in errors), errors


def test_a_correct_date_passes_and_an_empty_package_is_refused(client, awarded):
    package = download(client, reverse("pipeline:funded_package"))
    package["grants"][0]["awardDate"] = "2026-03-07"
    assert package_errors(package) == []
    assert package_errors({"grants": []})  # the standard needs at least one grant


def test_round_without_awards_and_unknown_round_have_no_package(client, awarded):
    make_round(code="OX")
    # An empty package would break the standard (at least one grant), so there is nothing to download.
    assert client.get(reverse("pipeline:funded_round_package", args=["OX"])).status_code == 404
    assert client.get(reverse("pipeline:funded_round_package", args=["NOPE"])).status_code == 404
    page = client.get(reverse("pipeline:funded")).content.decode()
    assert reverse("pipeline:funded_round_package", args=["OX"]) not in page


def test_export_command_writes_the_same_valid_file(tmp_path, client, awarded):
    target = tmp_path / "grants.json"
    call_command("export_360giving", "--output", str(target), "--validate", verbosity=0)
    written = json.loads(target.read_text())
    served = download(client, reverse("pipeline:funded_package"))
    assert [g["id"] for g in written["grants"]] == [g["id"] for g in served["grants"]]
    assert package_errors(written) == []


def test_public_funded_page_lists_projects_without_sign_in(client, awarded):
    response = client.get(reverse("pipeline:funded"))
    assert response.status_code == 200
    html = response.content.decode()
    bid = awarded["bid"]
    assert bid.title in html and "Opendale Council" in html and "Partnerfield Council" in html
    assert "£55,000.50" in html and bid.summary in html
    assert reverse("pipeline:funded_package") in html
    assert reverse("pipeline:funded_round_package", args=["OD"]) in html
    assert "Unawarded" not in html
    assert "2 projects" in html


def test_grant_without_planned_start_omits_planned_dates(client, awarded):
    Bid.objects.filter(pk=awarded["second"].pk).update(planned_start=None)
    package = download(client, reverse("pipeline:funded_package"))
    grant = next(g for g in package["grants"] if g["id"].endswith(awarded["second"].reference))
    assert "plannedDates" not in grant
    assert package_errors(package) == []


def test_export_command_refuses_a_path_it_cannot_write_in_one_line_and_keeps_the_old_file(awarded, tmp_path):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="is a folder: give a file name"):
        call_command("export_360giving", "--output", str(tmp_path), verbosity=0)
    with pytest.raises(CommandError, match="There is no folder"):
        call_command("export_360giving", "--output", str(tmp_path / "missing" / "grants.json"), verbosity=0)
    # A folder no file can be made in, whoever runs it (/proc); the file named there is left as it was.
    before = Path("/proc/version").read_text()
    with pytest.raises(CommandError, match="Could not write /proc/version"):
        call_command("export_360giving", "--output", "/proc/version", verbosity=0)
    assert Path("/proc/version").read_text() == before
    # A round code in any case; a round not yet published is said to be so.
    call_command("export_360giving", "--round", "od", "--output", str(tmp_path / "od.json"), verbosity=0)
    make_round(code="UP")
    with pytest.raises(CommandError, match="Round UP's decisions are not published yet"):
        call_command("export_360giving", "--round", "UP", "--output", str(tmp_path / "up.json"), verbosity=0)


def test_export_command_refuses_when_nothing_is_awarded_and_writes_nothing(tmp_path):
    from django.core.management import CommandError

    make_round(code="NA")
    target = tmp_path / "grants.json"
    with pytest.raises(CommandError, match="Nothing has been awarded yet"):
        call_command("export_360giving", "--output", str(target), verbosity=0)
    with pytest.raises(CommandError, match="No round has the code NOPE"):
        call_command("export_360giving", "--round", "NOPE", "--output", str(target), verbosity=0)
    assert not target.exists()

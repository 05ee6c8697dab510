"""Demo data never looks like real published data: fictional funder identifiers unless configured, "Demo data —
not real grants" on every page and in the package's metadata while DEMO_DATA is on, seed_demo only then; and a
grant id that reads its prefix once and stays the same."""

from __future__ import annotations

import importlib
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from councils.choices import Role
from pipeline.opendata import grant_id
from pipeline.opendata_schema import package_errors
from tests.factories import award, make_council, make_round, make_user, publish_decisions
from tests.factories.assessments import make_scored_bid

pytestmark = pytest.mark.django_db


def test_unconfigured_open_data_names_no_real_funder(monkeypatch):
    for name in ("OPEN_DATA_PREFIX", "FUNDING_ORG_ID", "FUNDING_ORG_NAME", "DEMO_DATA"):
        monkeypatch.delenv(name, raising=False)
    import config.settings as module

    fresh = importlib.reload(module)
    try:
        assert fresh.FUNDING_ORG_ID == "XI-EXAMPLE-LDF"
        assert "not a real organisation" in fresh.FUNDING_ORG_NAME
        assert "EXAMPLE" in fresh.OPEN_DATA_PREFIX
        assert fresh.DEMO_DATA is False
        assert "GB-GOR-PC1151" not in (fresh.FUNDING_ORG_ID, fresh.OPEN_DATA_PREFIX)  # MHCLG's real identifier
    finally:
        importlib.reload(module)


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("LDF", "360G-LDF-R7-0004"),  # the registered prefix and the reference's own code read once
        ("360G-LDF", "360G-LDF-R7-0004"),  # set with 360Giving's own "360G-"
        ("EXAMPLE-LDF", "360G-EXAMPLE-LDF-R7-0004"),  # the fictional default
        ("TESTFUND", "360G-TESTFUND-LDF-R7-0004"),  # another prefix keeps the whole reference
    ],
)
def test_grant_id_reads_the_prefix_once(settings, prefix, expected):
    settings.OPEN_DATA_PREFIX = prefix
    assert grant_id("LDF-R7-0004") == expected
    assert grant_id("LDF-R7-0004") == grant_id("LDF-R7-0004")  # the same bid, the same id, every time


@pytest.fixture
def awarded(settings):
    settings.OPEN_DATA_PREFIX = "LDF"
    staff = make_user(role=Role.PROGRAMME_STAFF)
    funding_round = make_round(code="R7", budget="500000")
    bid = make_scored_bid(funding_round=funding_round, lead=make_council("HON", "Honestham"))
    bid = award(bid, amount=Decimal("50000"), by=staff)
    publish_decisions(funding_round, by=staff)
    return bid


def package(client) -> dict:
    return json.loads(b"".join(client.get(reverse("pipeline:funded_package")).streaming_content))


def test_the_published_grant_id_reads_once_and_the_package_is_valid(client, awarded):
    data = package(client)
    assert package_errors(data) == []
    assert data["grants"][0]["id"] == f"360G-LDF-{awarded.reference.removeprefix('LDF-')}"
    assert data["grants"][0]["id"].count("LDF") == 1


def test_demo_data_says_so_on_the_pages_and_in_the_package(client, awarded, settings):
    settings.DEMO_DATA = True
    data = package(client)
    assert package_errors(data) == []
    for text in (data["title"], data["description"], data["publisher"]["name"]):
        assert "Demo data — not real grants" in text
    funded = client.get(reverse("pipeline:funded")).content.decode()
    assert 'id="demo-data"' in funded and "Demo data — not real grants" in funded
    assert "Local Digital Declaration status on this site are made up" in funded
    lead = make_user(councils=[awarded.lead_council])
    client.force_login(lead)
    assert "Demo data — not real grants" in client.get(reverse("bids:list")).content.decode()


def test_without_demo_data_nothing_says_demo(client, awarded, settings):
    settings.DEMO_DATA = False
    data = package(client)
    assert "Demo" not in data["title"] + data["description"] + data["publisher"]["name"]
    assert 'id="demo-data"' not in client.get(reverse("pipeline:funded")).content.decode()


def test_demo_signatories_are_marked_as_demo_data_in_the_council_search(client, settings, councils):
    from bids import services

    settings.DEMO_DATA = True
    lead = make_user(councils=[councils["lead"]])
    bid = services.bid_create(funding_round=make_round(), lead_council=councils["lead"], by=lead)
    client.force_login(lead)
    page = client.get(reverse("bids:partners", args=[bid.reference]), {"q": "Partner"}).content.decode()
    assert "Signed (demo data)" in page


def test_seed_demo_refuses_unless_the_pages_say_it_is_demo_data(settings):
    settings.DEMO_DATA = False
    with pytest.raises(CommandError, match="Set DEMO_DATA=true"):
        call_command("seed_demo", stdout=StringIO())

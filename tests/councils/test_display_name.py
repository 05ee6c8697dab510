"""A council goes by one name everywhere: its official name ("Bristol City Council"), never the place name
("City of Bristol") in one place and the council's name in another — on pages, in emails, the API, the CSV and
the open data."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from councils.choices import Role
from councils.models import Council
from notifications.models import Notification
from notifications.rendering import render_email
from tests.factories import award, make_council, make_round, make_user, publish_decisions
from tests.factories.assessments import make_scored_bid

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def bristol(db):
    council = make_council("BST", "City of Bristol")
    Council.objects.filter(pk=council.pk).update(official_name="Bristol City Council")
    council.refresh_from_db()
    return council


def test_the_display_name_is_the_official_name(bristol):
    assert str(bristol) == bristol.name == "Bristol City Council"


def test_every_surface_names_the_council_the_same_way(bristol, settings):
    staff = make_user(role=Role.PROGRAMME_STAFF)
    funding_round = make_round(code="DN", budget="500000")
    bid = make_scored_bid(funding_round=funding_round, lead=bristol, amount="50000")
    member = make_user(councils=[bristol])
    award(bid, amount=Decimal("50000"), by=staff)
    publish_decisions(funding_round, by=staff)

    member_client, staff_client = Client(), Client()
    member_client.force_login(member)
    staff_client.force_login(staff)
    surfaces = {
        "your bids": member_client.get(reverse("bids:list")).content.decode(),
        "bid page": member_client.get(reverse("bids:detail", args=[bid.reference])).content.decode(),
        "staff bid page": staff_client.get(reverse("pipeline:bid_detail", args=[bid.reference])).content.decode(),
        "staff table": staff_client.get(reverse("pipeline:bids")).content.decode(),
        "csv": b"".join(staff_client.get(reverse("pipeline:bids_csv")).streaming_content).decode(),
        "api": json.dumps(staff_client.get(f"/api/bids/{bid.reference}/").json()),
        "open data": b"".join(Client().get(reverse("pipeline:funded_package")).streaming_content).decode(),
        "funded": Client().get(reverse("pipeline:funded")).content.decode(),
    }
    awarded = Notification.objects.filter(event="bid_awarded", recipient=member).get()
    email = render_email(awarded)
    surfaces["email"] = email.text + email.html
    for surface, text in surfaces.items():
        assert "Bristol City Council" in text, surface
        assert "City of Bristol" not in text, surface
    assert mail.outbox is not None


def test_no_template_or_module_shows_another_name_field():
    """Templates show `council.name` (or the council itself); Python reads the name field through
    DISPLAY_NAME_FIELD. Only the councils app (loading and searching) and admin search touch the two fields."""
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        if re.search(r"\.(short|official)_name\b", path.read_text()):
            offenders.append(str(path.relative_to(ROOT)))
    for app in ("bids", "assessments", "pipeline", "notifications", "core"):
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts or path.name == "admin.py":
                continue
            if re.search(r"(short|official)_name", path.read_text()):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []

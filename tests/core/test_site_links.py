"""Links every visitor needs: the phase banner's feedback route (configurable), the public funded projects
from the home page and the footer, and the 360Giving downloads saved as named files."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from councils.choices import Role
from tests.factories import award, make_council, make_round, make_user, publish_decisions
from tests.factories.assessments import make_scored_bid

pytestmark = pytest.mark.django_db


def test_the_phase_banner_links_the_feedback_address(client, settings):
    settings.FEEDBACK_URL = "mailto:ldf-feedback@example.gov.uk"
    page = client.get(reverse("home")).content.decode()
    banner = page[page.index("govuk-phase-banner__text") :]
    banner = banner[: banner.index("</span>")]
    assert 'href="mailto:ldf-feedback@example.gov.uk"' in banner
    assert "tell the programme team what you think of it by email</a>" in banner


def test_the_feedback_route_can_be_a_page(client, settings):
    settings.FEEDBACK_URL = "https://forms.example.gov.uk/ldf-feedback"
    page = client.get(reverse("accessibility")).content.decode()
    assert 'href="https://forms.example.gov.uk/ldf-feedback">tell the programme team what you think of it</a>' in page


def test_the_home_page_and_every_footer_link_the_funded_projects(client):
    funded = reverse("pipeline:funded")
    page = client.get(reverse("home")).content.decode()
    main = page[page.index('id="main-content"') : page.index("</main>")]
    assert f'href="{funded}">funded projects</a>' in main
    footer = page[page.index("govuk-footer") :]
    assert f'href="{funded}">Funded projects</a>' in footer


def test_the_360giving_downloads_are_files_with_a_name(client):
    staff = make_user(role=Role.PROGRAMME_STAFF)
    funding_round = make_round(code="DL", budget="500000")
    bid = make_scored_bid(funding_round=funding_round, lead=make_council("DLL", "Downloadham"))
    award(bid, amount=Decimal("50000"), by=staff)
    publish_decisions(funding_round, by=staff)
    for url, name in (
        (reverse("pipeline:funded_package"), "local-digital-fund-360giving-all.json"),
        (reverse("pipeline:funded_round_package", args=["DL"]), "local-digital-fund-360giving-DL.json"),
    ):
        response = client.get(url)
        assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    # The API is read by programs: it answers in place.
    assert client.get("/api/360giving/")["Content-Disposition"].startswith("inline")


def test_the_accessibility_statement_says_what_the_regulations_ask(client, settings):
    """Compliance status, what is not accessible, how to ask for another format and complain (the feedback
    route), the enforcement procedure, how the service was tested and when the statement was prepared."""
    settings.FEEDBACK_URL = "mailto:ldf-feedback@example.gov.uk"
    page = client.get(reverse("accessibility")).content.decode()
    for words in (
        "partially compliant with the",
        "Non-accessible content",
        "in a different format",
        'href="mailto:ldf-feedback@example.gov.uk">ldf-feedback@example.gov.uk</a>',
        "Equality Advisory and Support Service",
        "How we tested this service",
        "This statement was prepared on",
    ):
        assert words in page, words

"""What the bid tests share: the lead council's member, an empty draft, their signed-in client, and uploads kept
in a temporary folder."""

from __future__ import annotations

import pytest

from bids import services
from tests.factories import make_user


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT


@pytest.fixture
def lead_user(councils):
    return make_user(councils=[councils["lead"]], email="lead@leadshire.example.test", name="Lee Lead")


@pytest.fixture
def draft(funding_round, councils, lead_user):
    """An empty draft led by Leadshire."""
    return services.bid_create(funding_round=funding_round, lead_council=councils["lead"], by=lead_user)


@pytest.fixture
def lead_client(client, lead_user):
    client.force_login(lead_user)
    return client

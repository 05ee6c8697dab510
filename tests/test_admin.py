"""Django admin: every model has a page, and each changelist and change page opens on the demo data."""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

from councils.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _demo_data(settings):
    """seed_demo runs only where every page says the data is made up."""
    settings.DEMO_DATA = True


PROJECT_APPS = ("councils", "bids", "assessments", "notifications", "pipeline", "projects")


def test_every_project_model_is_in_admin():
    missing = [
        model._meta.label
        for model in apps.get_models()
        if model._meta.app_label in PROJECT_APPS and model not in admin.site._registry
    ]
    assert missing == []


def test_every_admin_page_opens_on_demo_data(client):
    call_command("seed_demo", stdout=StringIO())
    client.force_login(User.objects.get(email="admin@demo.localdigital.test"))
    for model in admin.site._registry:
        if model._meta.app_label not in PROJECT_APPS:
            continue
        info = (model._meta.app_label, model._meta.model_name)
        changelist = client.get(reverse("admin:{}_{}_changelist".format(*info)))
        assert changelist.status_code == 200, model._meta.label
        obj = model._default_manager.first()
        if obj is not None:
            change = client.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
            assert change.status_code == 200, model._meta.label


def test_admin_transition_action_calls_the_service(client):
    from bids.choices import BidState
    from bids.models import Bid

    call_command("seed_demo", stdout=StringIO())
    client.force_login(User.objects.get(email="admin@demo.localdigital.test"))
    bid = Bid.objects.filter(state=BidState.IN_REVIEW).order_by("pk").first()
    url = reverse("admin:bids_bid_changelist")
    # First the intermediate form, then the action with a reason.
    form = client.post(url, {"action": "bid_mark_ineligible", "_selected_action": [bid.pk]})
    assert form.status_code == 200 and "Mark ineligible" in form.content.decode()
    client.post(
        url, {"action": "bid_mark_ineligible", "_selected_action": [bid.pk], "apply": "1", "note": "Out of scope"}
    )
    bid.refresh_from_db()
    assert bid.state == BidState.INELIGIBLE
    assert bid.history.last().note == "Out of scope"

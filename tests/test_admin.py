"""Django admin: every model has a page, and each changelist and change page opens on the demo data."""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

from bids.models import BidTransition, CostLine, FundingRound
from councils.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _demo_data(settings):
    """seed_demo runs only where every page says the data is made up."""
    settings.DEMO_DATA = True


PROJECT_APPS = ("councils", "bids", "assessments", "notifications", "pipeline", "projects", "collaboration")


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
        # Every round (one in each state of the demo: open, assessing, decisions published), the first of the rest.
        objects = model._default_manager.all() if model is FundingRound else model._default_manager.all()[:1]
        for obj in objects:
            change = client.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
            assert change.status_code == 200, (model._meta.label, obj.pk)


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


# Records only the services write, with the rules they keep (costs that add up, documents checked, scores that
# make up the aggregate, a sift's decision, a clarification's reply, a request to join): the admin shows them and
# can neither add, change nor delete them.
SERVICE_OWNED = [
    "bids.CostLine",
    "bids.BidDocument",
    "bids.BidSift",
    "bids.Clarification",
    "bids.BidTransition",
    "assessments.CriterionScore",
    "assessments.ModeratedScore",
    "collaboration.JoinRequest",
    "projects.BudgetLine",
    # Changed on their round's page, under the round's rules (caps, weights, fixed once assessment starts).
    "bids.RoundPhase",
    "bids.Criterion",
    # Who takes part in a bid (the partner minimum, conflicts of interest).
    "bids.BidPartner",
    # The outbox (notify's dedupe key; failures are sent again from the outbox's page).
    "notifications.Notification",
]


def test_the_admin_cannot_add_change_or_delete_what_only_services_write(rf):
    request = rf.get("/admin/")
    request.user = User.objects.create_superuser(email="root@example.gov.uk", password="x" * 20)
    allowed = {
        label: [
            name
            for name in ("add", "change", "delete")
            if getattr(admin.site._registry[apps.get_model(label)], f"has_{name}_permission")(request)
        ]
        for label in SERVICE_OWNED
    }
    assert allowed == {label: [] for label in SERVICE_OWNED}


def test_a_cost_line_cannot_be_deleted_in_the_admin(client):
    call_command("seed_demo", stdout=StringIO())
    client.force_login(User.objects.get(email="admin@demo.localdigital.test"))
    line = CostLine.objects.first()
    count = CostLine.objects.count()
    assert client.get(reverse("admin:bids_costline_add")).status_code == 403
    assert client.post(reverse("admin:bids_costline_delete", args=[line.pk]), {"post": "yes"}).status_code == 403
    change = client.get(reverse("admin:bids_costline_change", args=[line.pk]))
    assert change.status_code == 200 and 'name="_save"' not in change.content.decode()
    assert CostLine.objects.count() == count


def test_a_history_row_names_its_object_and_its_states():
    call_command("seed_demo", stdout=StringIO())
    row = BidTransition.objects.filter(transition="submit").first()
    assert str(row) == f"{row.bid_id}: draft → in_review"


def test_the_admin_keeps_one_account_per_address_whatever_its_case(client):
    call_command("seed_demo", stdout=StringIO())
    client.force_login(User.objects.get(email="admin@demo.localdigital.test"))
    data = {"email": "STAFF@Demo.LocalDigital.test", "full_name": "Copy", "role": "programme_staff"}
    response = client.post(
        reverse("admin:councils_user_add"),
        {**data, "password1": "a-long-passphrase-1", "password2": "a-long-passphrase-1"},
    )
    assert response.status_code == 200 and "already exists" in response.content.decode()
    assert User.objects.filter(email__iexact="staff@demo.localdigital.test").count() == 1


def test_every_admin_refuses_an_action_on_rows_that_cannot_be_ids(client):
    """A tampered (or stale) changelist form: Django's admin would put `abc` into the query and answer 500, and
    act on what remains of a selection whose rows have gone. Every admin of the service refuses both with a
    message and changes nothing."""
    from core.admin import RefusesUnknownRows

    call_command("seed_demo", stdout=StringIO())
    client.force_login(User.objects.get(email="admin@demo.localdigital.test"))
    counts = {model: model._default_manager.count() for model in admin.site._registry}
    tried = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in PROJECT_APPS:
            continue
        assert isinstance(model_admin, RefusesUnknownRows), model._meta.label
        request = client.get(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")).wsgi_request
        first = model._default_manager.order_by("pk").first()
        for action in model_admin.get_actions(request):
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
            for rows in (["abc"], [first.pk if first else 1, 2**70]):
                response = client.post(url, {"action": action, "_selected_action": rows, "index": "0"}, follow=True)
                assert response.status_code == 200, (model._meta.label, action, rows)
                assert "Those rows were not recognised" in response.content.decode(), (model._meta.label, action, rows)
            tried.append(action)
    assert "delete_selected" in tried and "bid_mark_ineligible" in tried
    assert counts == {model: model._default_manager.count() for model in admin.site._registry}

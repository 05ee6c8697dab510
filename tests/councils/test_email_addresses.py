"""An email address names one account whatever its case: typed as Partner@Manchester… it signs in, asks for a
password reset, and is found by every command that takes an address, as partner@manchester… does; and no second
account may have an address that differs from another's only in case, however it is made."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse

from councils.choices import Role
from councils.models import User
from councils.services import password_reset_send
from tests.factories import make_user
from tests.factories.two_factor import verify_session

pytestmark = [pytest.mark.django_db, pytest.mark.two_factor]

PASSWORD = "correct-horse-battery"
ADDRESS = "partner@manchester.example.test"
TYPED = "Partner@Manchester.EXAMPLE.test"


def write_address_around_the_model(pk: int, email: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("UPDATE councils_user SET email = %s WHERE id = %s", [email, pk])


def saved_address(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT email FROM councils_user WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_signing_in_with_the_address_in_another_case_signs_in():
    user = make_user(email=ADDRESS)
    client = Client()
    response = client.post(reverse("login"), {"username": TYPED, "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_the_django_admin_sign_in_takes_the_address_in_any_case():
    admin = make_user(role=Role.ADMIN, email="admin@example.test")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client = Client()
    response = client.post(reverse("admin:login"), {"username": "ADMIN@Example.test", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(admin.pk)


def test_a_password_reset_for_the_address_in_another_case_is_sent_to_the_account():
    user = make_user(email=ADDRESS)
    assert password_reset_send(email=TYPED) == 1
    assert user.notifications.get().context["email"] == ADDRESS


def test_an_address_is_saved_in_lower_case_however_the_account_is_made():
    made = [
        User.objects.create_user(email="One@Example.test", full_name="One"),
        User.objects.create(email=" Two@EXAMPLE.test ", full_name="Two"),
        *User.objects.bulk_create([User(email="Three@Example.TEST", full_name="Three")]),
    ]
    assert [user.email for user in made[:2]] == ["one@example.test", "two@example.test"]
    assert sorted(User.objects.values_list("email", flat=True)) == [
        "one@example.test",
        "three@example.test",
        "two@example.test",
    ]
    changed = made[0]
    changed.email = "Changed@Example.test"
    changed.save()
    assert changed.email == "changed@example.test"
    User.objects.filter(pk=changed.pk).update(email="Updated@Example.test")
    assert User.objects.get(pk=changed.pk).email == "updated@example.test"


def test_any_lookup_by_address_finds_the_account_in_any_case():
    user = make_user(email=ADDRESS)
    assert User.objects.get(email=TYPED) == user
    assert list(User.objects.filter(email__in=[TYPED])) == [user]
    assert get_user_model()._default_manager.get_by_natural_key(TYPED) == user


@pytest.mark.parametrize("make", ["create_user", "create", "bulk_create"])
def test_no_second_account_may_differ_from_another_only_in_case(make):
    make_user(email=ADDRESS)
    with pytest.raises(IntegrityError), transaction.atomic():
        if make == "bulk_create":
            User.objects.bulk_create([User(email=TYPED, full_name="Twin")])
        else:
            getattr(User.objects, make)(email=TYPED, full_name="Twin")
    assert User.objects.count() == 1


def test_the_database_refuses_an_address_differing_only_in_case_written_around_the_model():
    make_user(email=ADDRESS)
    twin = make_user(email="twin@example.test")
    with pytest.raises(IntegrityError), transaction.atomic():
        write_address_around_the_model(twin.pk, TYPED)


def test_django_admin_refuses_a_new_account_differing_from_another_only_in_case():
    admin = make_user(role=Role.ADMIN, email="admin@example.test")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    make_user(email=ADDRESS)
    client = Client()
    client.force_login(admin)
    verify_session(client, admin)
    response = client.post(
        reverse("admin:councils_user_add"),
        {
            "email": TYPED,
            "full_name": "Twin",
            "role": Role.COUNCIL_MEMBER,
            "password1": "a-long-new-passphrase",
            "password2": "a-long-new-passphrase",
            "usable_password": "true",
        },
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert User.objects.filter(email=ADDRESS).count() == 1


def test_management_commands_take_the_address_in_any_case():
    user = make_user(email=ADDRESS)
    with pytest.raises(CommandError, match="already taken"):
        call_command("createsuperuser", interactive=False, email=TYPED, full_name="Twin", verbosity=0)
    assert User.objects.count() == 1

    from django.contrib.auth.management.commands import changepassword

    command = changepassword.Command()
    command._get_pass = lambda prompt="Password: ": "a-long-new-passphrase"
    call_command(command, TYPED, verbosity=0)
    user.refresh_from_db()
    assert user.check_password("a-long-new-passphrase")


def test_the_migration_lowers_saved_addresses_and_stops_at_accounts_that_differ_only_in_case():
    email_in_any_case = importlib.import_module("councils.migrations.0004_email_in_any_case")
    first = make_user(email=ADDRESS)
    other = make_user(email="other@example.test")
    # As before the migration: addresses were saved as typed, and nothing stopped a second in another case.
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX user_email_unique_in_any_case")
    write_address_around_the_model(other.pk, "Other@Example.test")
    email_in_any_case.lower_case_addresses(apps, None)
    assert saved_address(other.pk) == "other@example.test"

    write_address_around_the_model(other.pk, TYPED)
    with pytest.raises(RuntimeError, match="differ only in case") as refused:
        email_in_any_case.lower_case_addresses(apps, None)
    assert f"user id {first.pk}" in str(refused.value) and f"user id {other.pk}" in str(refused.value)
    assert saved_address(other.pk) == TYPED, "nothing changed"

"""Councils, the people who work for them, and what role each person plays in the fund."""

from __future__ import annotations

import rules
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from councils.choices import CouncilType, Role

# The one name a council goes by wherever it is shown (pages, emails, the API, CSV, open data): its official
# name, "Bristol City Council" (the short name, "City of Bristol", names the place and is used only to search).
# Queries that read plain rows use this field name.
DISPLAY_NAME_FIELD = "official_name"


class Council(models.Model):
    register_code = models.CharField(max_length=3, unique=True)
    official_name = models.CharField(max_length=200)
    short_name = models.CharField(max_length=100, db_index=True)
    gss_code = models.CharField("GSS code", max_length=9, unique=True)
    council_type = models.CharField(max_length=20, choices=CouncilType.choices, db_index=True)
    region = models.CharField(max_length=50, db_index=True)
    declaration_signed_on = models.DateField("Local Digital Declaration signed on", null=True, blank=True)

    class Meta:
        ordering = [DISPLAY_NAME_FIELD]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The council's display name (see DISPLAY_NAME_FIELD)."""
        return self.official_name

    @property
    def org_id(self) -> str:
        """The 360Giving organisation identifier for a local authority in England."""
        return f"GB-LAE-{self.register_code}"

    @property
    def is_signatory(self) -> bool:
        return self.declaration_signed_on is not None


def normalize_email_address(address: str) -> str:
    """The one form a person's email address is kept, looked up and counted in (by the sign-in lock-out too):
    without surrounding spaces, in lower case. People type their address in any case (Partner@Manchester…), and
    mail systems deliver it the same whatever its case, so every case of it is one account."""
    return address.strip().lower()


class EmailAddressField(models.EmailField):
    """An email address that identifies a person. Saved in the form `normalize_email_address` gives, and read
    that way in every lookup too (`email=`, `email__in=`: CharField's get_prep_value goes through to_python),
    so sign-in, password reset, Django admin and every command that takes an address find the account however
    the address is typed."""

    def to_python(self, value: object) -> object:
        value = super().to_python(value)
        return normalize_email_address(value) if isinstance(value, str) else value

    def pre_save(self, model_instance: models.Model, add: bool) -> object:
        # The saved object holds what was saved, not what was typed.
        value = self.to_python(getattr(model_instance, self.attname))
        setattr(model_instance, self.attname, value)
        return value


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        return normalize_email_address(email or "")

    def _create_user(self, email: str, password: str | None, **extra: object) -> User:
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("role", Role.ADMIN)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person; the email address is the login."""

    email = EmailAddressField(unique=True)
    full_name = models.CharField(max_length=150)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.COUNCIL_MEMBER, db_index=True)
    councils = models.ManyToManyField(Council, through="Membership", related_name="members", blank=True)
    is_staff = models.BooleanField("can use Django admin", default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name"]
        constraints = [
            # One address, one account, whatever its case: the field keeps addresses in lower case, and the
            # database refuses a second account whose address differs only in case however it is written.
            models.UniqueConstraint(
                Lower("email"),
                name="user_email_unique_in_any_case",
                violation_error_message="An account with this email address already exists",
            )
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    def has_perm(self, perm: str, obj: object | None = None) -> bool:
        """Domain permissions (the `rules` predicates in each app's rules.py) follow the role a person holds and
        what they belong to, for administrators too: Django's superuser shortcut would otherwise let an
        administrator edit councils' bids and score as an assessor. The shortcut still applies to every other
        permission, which is what Django admin asks for (`bids.change_bid`, `councils.add_user`, …).
        `has_perms` asks this for each permission."""
        if rules.perm_exists(perm):
            return self.is_active and rules.has_perm(perm, self, obj)
        return super().has_perm(perm, obj)

    @property
    def is_programme_staff(self) -> bool:
        return self.is_active and self.role in (Role.PROGRAMME_STAFF, Role.ADMIN)

    @property
    def is_assessor(self) -> bool:
        return self.is_active and self.role == Role.ASSESSOR


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="memberships")
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "council"], name="unique_membership")]

    def __str__(self) -> str:
        return f"{self.user} at {self.council}"


class PasswordResetRequest(models.Model):
    """Someone asked for a password-reset email for this address: kept until a worker has looked for the account
    and put the email in the outbox (`councils.services.password_reset_handle`), so a request never waits only in
    the broker, which may lose it. Written for every request, account or not, so the request's work says nothing
    of whether one exists; removed once handled."""

    email = models.EmailField(max_length=254)
    requested_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"Password reset asked for at {self.requested_at:%Y-%m-%d %H:%M}"

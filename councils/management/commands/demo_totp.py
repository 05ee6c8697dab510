"""manage.py demo_totp <email>: the current authenticator code of a demo account, for trying the demo without an
authenticator app. Refuses any account outside the demo's own domain, so it is no way round two-factor sign-in."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP

from councils.models import User
from councils.signin import totp_device

DEMO_DOMAIN = "demo.localdigital.test"


class Command(BaseCommand):
    help = "Print the current two-factor code of a demo account (…@demo.localdigital.test only)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("email", help="A demo account, like staff@demo.localdigital.test")

    def handle(self, *args, email: str, **options) -> None:
        email = email.strip().lower()
        if not email.endswith((f"@{DEMO_DOMAIN}", f".{DEMO_DOMAIN}")):
            raise CommandError(f"Only demo accounts (…@{DEMO_DOMAIN}) have codes printed here")
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"No account has the email address {email}: run manage.py seed_demo first")
        device = totp_device(user)
        if device is None:
            raise CommandError(f"{email} does not use two-factor sign-in; sign in with the password only")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        remaining = device.step - int(totp.time - device.t0) % device.step
        self.stdout.write(f"{totp.token():0{device.digits}d}")
        if options.get("verbosity", 1) > 1:
            self.stdout.write(f"(valid for another {remaining} seconds)")

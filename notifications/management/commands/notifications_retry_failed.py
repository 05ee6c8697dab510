"""manage.py notifications_retry_failed: send again every message that failed since a moment (after a mail
outage longer than the retry window), the same as the outbox's "every message that failed since" page."""

from __future__ import annotations

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.exceptions import ApplicationError
from notifications.choices import Failure
from notifications.selectors import failed_since
from notifications.services import notifications_retry_failed

KINDS = {"all": "", "gave-up": Failure.GAVE_UP.value, "permanent": Failure.PERMANENT.value}


def parse_moment(text: str) -> datetime:
    """'2026-11-29', '2026-11-29 09:30' or '2026-11-29T09:30' (UK time unless an offset is given)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as error:
        raise CommandError(
            f"--since {text!r} is not a date and time: use YYYY-MM-DD or 'YYYY-MM-DD HH:MM' (UK time)"
        ) from error
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    if moment > timezone.now():
        raise CommandError(f"--since {text} is in the future")
    return moment


class Command(BaseCommand):
    help = "Send again every notification that failed since a date and time (after a mail outage)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--since", required=True, help="When the failures started: YYYY-MM-DD or 'YYYY-MM-DD HH:MM' (UK time)"
        )
        parser.add_argument(
            "--kind",
            choices=sorted(KINDS),
            default="all",
            help="gave-up: temporary failures retried until the window ran out (an outage); permanent: refused "
            "by the mail server (fix the cause first); all (default)",
        )
        parser.add_argument("--dry-run", action="store_true", help="Count the messages, change nothing")

    def handle(self, *args, since: str, kind: str, dry_run: bool, **options) -> None:
        moment = parse_moment(since)
        failure = KINDS[kind]
        total = failed_since(since=moment, failure=failure).count()
        described = f"failed since {timezone.localtime(moment):%-d %B %Y %H:%M}"
        if total == 0:
            self.stdout.write(f"No messages {described}; nothing to do")
            return
        if dry_run:
            self.stdout.write(f"{total:,} message(s) {described} would be sent again")
            return
        done = 0

        def progress(batch: int) -> None:
            nonlocal done
            done += batch
            if options.get("verbosity", 1) >= 1:
                self.stdout.write(f"Retrying: {done:,} of {total:,}")

        try:
            retried = notifications_retry_failed(since=moment, failure=failure, by=None, progress=progress)
        except ApplicationError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Queued {retried:,} message(s) {described} to be sent again"))

"""Abstract building blocks the apps' models share, and the one row of plumbing core keeps (`SentForm`). No
domain models live in core."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class TransitionRecord(models.Model):
    """What every state machine's history row holds besides its object and states: the transition, who ran it
    (None: the service itself, e.g. beat or the scoring that completes a bid), when, and the note given."""

    transition = models.CharField(max_length=40)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    note = models.TextField(blank=True)

    # The name of the field holding the object whose history this is ("bid", "project", …).
    subject = ""

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{getattr(self, f'{self.subject}_id')}: {self.source_state} → {self.target_state}"

    @classmethod
    def record(cls, obj: models.Model, transition: str, source: str, by, note: str = "") -> TransitionRecord:
        """The history row of one transition of `obj`, whose state is now the target: what every state machine's
        `Machine(record=…)` writes."""
        return cls.objects.create(
            **{cls.subject: obj}, transition=transition, source_state=source, target_state=obj.state, by=by, note=note
        )


class SentForm(models.Model):
    """A form that makes something (a question, a cost line, a milestone…) sent once (`core.once`): its one-time
    token, who sent it, and where its first sending led, so a second sending of the same page (a double click
    without JavaScript, Back and send again) goes there instead of making it twice."""

    token = models.CharField(max_length=32, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    path = models.CharField(max_length=500)
    location = models.CharField(max_length=1000, blank=True)
    sent_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.path} ({self.sent_at:%Y-%m-%d %H:%M})"

"""Abstract building blocks the apps' models share. No concrete (domain) models live in core."""

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

    class Meta:
        abstract = True

"""Calls for partners, requests to join them, and the similar-work index of each bid's text."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from bids.models import Bid
from collaboration.choices import CallStatus, CloseReason, RequestStatus
from councils.models import Council


class PartnerCall(models.Model):
    """A lead council's call for partners on its draft: the pitch other councils see (never the draft itself)."""

    bid = models.OneToOneField(Bid, on_delete=models.CASCADE, related_name="partner_call")
    title = models.CharField(max_length=200)
    problem = models.TextField("the problem")
    partners_do = models.TextField("what partners would do")
    join_by = models.DateField("join by")
    status = models.CharField(max_length=10, choices=CallStatus.choices, default=CallStatus.OPEN, db_index=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closed_reason = models.CharField(max_length=20, choices=CloseReason.choices, blank=True)
    # The pitch's place in the similar-work index (see collaboration.similarity): its embedding, its words,
    # a random version that changes with every new vector (processes cache vectors by it), and whether the
    # pitch changed since it was last embedded.
    vector = models.BinaryField(default=b"")
    terms = models.JSONField(default=dict, blank=True)
    version = models.BigIntegerField(default=0)
    stale = models.BooleanField(default=True, db_index=True)
    marked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-opened_at", "pk"]
        indexes = [models.Index(fields=["status", "bid", "version"], name="partner_call_status_version")]

    def __str__(self) -> str:
        return f"{self.bid.reference}: {self.title}"


class JoinRequest(models.Model):
    """A council asks to join a call's bid; the lead council accepts (the council becomes a confirmed partner)
    or declines with a reason."""

    call = models.ForeignKey(PartnerCall, on_delete=models.CASCADE, related_name="requests")
    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="join_requests")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    message = models.TextField()
    status = models.CharField(max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["call", "created_at", "pk"]
        constraints = [
            # One open request per council and call: asking twice while waiting is refused.
            models.UniqueConstraint(
                fields=["call", "council"],
                condition=models.Q(status=RequestStatus.PENDING),
                name="one_pending_request_per_council",
            )
        ]

    def __str__(self) -> str:
        return f"{self.council} asks to join {self.call.bid.reference} ({self.get_status_display()})"


class BidTextIndex(models.Model):
    """A bid's place in the similar-work index: embeddings of its text, its words, and the similar submitted
    bids of its round (for the staff table's overlap flag). Rebuilt whole by `manage.py
    rebuild_similarity_index`; otherwise kept current as the bid's text and state change."""

    bid = models.OneToOneField(Bid, on_delete=models.CASCADE, related_name="text_index")
    # Title, summary, problem and user needs: what staff's matches are made on.
    vector = models.BinaryField(default=b"")
    terms = models.JSONField(default=dict, blank=True)
    # Title and summary only: what the funded-projects page publishes, so what councils' matches are made on.
    public_vector = models.BinaryField(default=b"")
    public_terms = models.JSONField(default=dict, blank=True)
    text_hash = models.CharField(max_length=64, blank=True)
    version = models.BigIntegerField(default=0)
    # The bid has been submitted and is not a draft now (a copy of what the bid's state says, kept by the state
    # receiver): staff's candidates are read from this table's index alone.
    submitted = models.BooleanField(default=False)
    stale = models.BooleanField(default=True, db_index=True)
    marked_at = models.DateTimeField(default=timezone.now)
    indexed_at = models.DateTimeField(null=True, blank=True)
    # Submitted bids of the same round that look like the same work ("possible overlap" at the sift).
    overlaps = models.JSONField(default=list, blank=True)
    overlap_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "bid text index"
        verbose_name_plural = "bid text index"
        # A query reads every candidate's id and version: an index-only scan, never the wide rows of vectors.
        indexes = [models.Index(fields=["submitted", "bid", "version"], name="text_index_candidates")]

    def __str__(self) -> str:
        return f"Index of bid {self.bid_id}"

"""Funding rounds, bids, partners, costs, documents and the bid state machine."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, FSMModelMixin, transition

from bids import conditions
from bids.choices import (
    BidState,
    ClarificationStatus,
    CriterionCode,
    PartnerStatus,
    Payer,
    Phase,
    RoundState,
    SiftDecision,
)
from core.converters import ROUND_CODE
from core.models import TransitionRecord
from councils.models import Council

MONEY = {"max_digits": 12, "decimal_places": 2}
PENNY = Decimal("0.01")

# The drafting task list, in order: section slug → (title, the bid fields its page edits). The slugs are the
# `section` of conditions.submission_problems' Problems, so a refused submit links each problem to its page.
BID_SECTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "about": ("About the project", ("title", "summary", "phase")),
    "problem": ("Problem and users", ("problem", "user_needs")),
    "approach": ("Approach and outputs", ("approach", "outputs_and_reuse", "working_in_the_open")),
    "partners": ("Partners", ()),
    "costs": ("Costs", ("amount_requested",)),
    "timeline": (
        "Timeline and contact",
        ("planned_start", "duration_months", "lead_contact_name", "lead_contact_email", "lead_contact_phone"),
    ),
    "documents": ("Supporting documents", ()),
}

# Word limits of the long answers (the summary's limit is also a submission rule in conditions).
ANSWER_WORD_LIMITS: dict[str, int] = {
    "summary": conditions.SUMMARY_WORD_LIMIT,
    "problem": 500,
    "user_needs": 500,
    "approach": 750,
    "outputs_and_reuse": 500,
    "working_in_the_open": 300,
}

# Supporting documents: at most this many per bid, each at most this size.
MAX_DOCUMENTS_PER_BID = 10
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


class FundingRound(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    name = models.CharField(max_length=100)
    code = models.CharField(
        "short code",
        max_length=10,
        unique=True,
        help_text="Letters and digits, used in bid references, for example R6",
        # The shape URLs accept (core.converters), so every round's pages and downloads can be reached.
        validators=[RegexValidator(rf"^{ROUND_CODE}\Z", "Use only letters and digits, like R6")],
    )
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    assessment_deadline = models.DateTimeField(null=True, blank=True)
    budget = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    min_partner_councils = models.PositiveSmallIntegerField(default=2)
    max_bids_led_per_council = models.PositiveSmallIntegerField(default=2, validators=[MinValueValidator(1)])
    assessors_per_bid = models.PositiveSmallIntegerField(default=2, validators=[MinValueValidator(1)])
    divergence_threshold = models.DecimalField(
        max_digits=3, decimal_places=1, default=Decimal("2"), validators=[MinValueValidator(Decimal("1"))]
    )
    state = FSMField(choices=RoundState.choices, default=RoundState.UPCOMING, protected=True, db_index=True)

    # Lifecycle facts, set by transitions
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="When the round actually closed")
    close_reason = models.TextField(blank=True, help_text="Why staff closed the round before its closing time")
    decisions_published_at = models.DateTimeField(null=True, blank=True)
    decisions_published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-opens_at"]
        constraints = [
            # R8 and r8 would be one round to a person, and to the filters that find a round by its code.
            models.UniqueConstraint(
                Lower("code"),
                name="round_code_unique_ignoring_case",
                violation_error_code="round_code_taken",
                violation_error_message="A round with this code already exists",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            errors["closes_at"] = "The closing date must be after the opening date"
        # A round closed early closed when it did, not at the closing time it had.
        closed = min(self.closed_at, self.closes_at) if self.closed_at and self.closes_at else self.closes_at
        if closed and self.assessment_deadline and self.assessment_deadline <= closed:
            errors["assessment_deadline"] = "The assessment deadline must be after the round closes"
        if errors:
            raise ValidationError(errors)

    def full_clean(self, exclude=None, validate_unique: bool = True, validate_constraints: bool = True) -> None:
        # The state changes only through transitions (and full_clean would set it): never validated here.
        exclude = {*(exclude or ()), "state"}
        super().full_clean(exclude=exclude, validate_unique=validate_unique, validate_constraints=validate_constraints)

    def is_open(self, at=None) -> bool:
        """Whether the round takes bids at `at` (now by default): it has been opened (beat opens it at
        `opens_at`) and has not been closed, and its closing time has not passed. The closing time is the
        clock's, not beat's: a bid submitted after `closes_at` is refused even if beat has not yet closed the
        round, and one submitted a second before is taken."""
        at = at or timezone.now()
        return self.state == RoundState.OPEN and self.opens_at <= at < self.closes_at

    @property
    def decisions_published(self) -> bool:
        return self.state == RoundState.PUBLISHED

    # --- The state machine. Transitions only change this row's fields; services save and record history.

    @transition(
        field=state,
        source=RoundState.UPCOMING,
        target=RoundState.OPEN,
        conditions=[conditions.opening_time_reached, conditions.closing_time_not_reached],
        permission=lambda funding_round, user: False,  # the service itself, at the opening time (by=None)
    )
    def open(self) -> None:
        self.opened_at = timezone.now()

    @transition(
        field=state,
        source=[RoundState.UPCOMING, RoundState.OPEN],
        target=RoundState.CLOSED,
        conditions=[conditions.closing_time_reached],
        permission=lambda funding_round, user: False,  # the service itself, at the closing time (by=None)
    )
    def close(self) -> None:
        self.closed_at = timezone.now()

    @transition(field=state, source=RoundState.OPEN, target=RoundState.CLOSED, permission="bids.manage_round")
    def close_early(self, *, reason: str) -> None:
        self.closed_at = timezone.now()
        self.close_reason = reason

    @transition(
        field=state,
        source=RoundState.CLOSED,
        target=RoundState.ASSESSING,
        conditions=[conditions.every_submitted_bid_sifted],
        permission="bids.manage_round",
    )
    def start_assessing(self) -> None:
        pass

    @transition(
        field=state,
        source=RoundState.ASSESSING,
        target=RoundState.DECIDING,
        conditions=[conditions.no_bid_in_review],
        permission="bids.manage_round",
    )
    def start_deciding(self) -> None:
        pass

    @transition(
        field=state,
        source=RoundState.DECIDING,
        target=RoundState.PUBLISHED,
        conditions=[conditions.every_scored_bid_decided],
        permission="bids.manage_round",
    )
    def publish_decisions(self, *, publisher) -> None:
        self.decisions_published_at = timezone.now()
        self.decisions_published_by = publisher


class RoundTransition(TransitionRecord):
    """One row per round state change: the round's history, written in the same transaction as the change."""

    subject = "funding_round"
    funding_round = models.ForeignKey(FundingRound, on_delete=models.CASCADE, related_name="history")
    source_state = models.CharField(max_length=20, choices=RoundState.choices)
    target_state = models.CharField(max_length=20, choices=RoundState.choices)

    class Meta:
        ordering = ["funding_round", "at", "pk"]


class RoundPhase(models.Model):
    """A phase the round funds, with its cap per bid."""

    funding_round = models.ForeignKey(FundingRound, on_delete=models.CASCADE, related_name="phases")
    phase = models.CharField(max_length=20, choices=Phase.choices)
    cap = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0.01"))])

    class Meta:
        ordering = ["funding_round", "phase"]
        constraints = [models.UniqueConstraint(fields=["funding_round", "phase"], name="unique_round_phase")]

    def __str__(self) -> str:
        return f"{self.get_phase_display()} up to £{self.cap:,.2f}"


class Criterion(models.Model):
    funding_round = models.ForeignKey(FundingRound, on_delete=models.CASCADE, related_name="criteria")
    code = models.CharField(max_length=30, choices=CriterionCode.choices, default=CriterionCode.OTHER)
    name = models.CharField(max_length=100)
    guidance = models.TextField(blank=True)
    weight = models.DecimalField(
        "weight (%)",
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["funding_round", "position", "pk"]
        verbose_name_plural = "criteria"
        constraints = [models.UniqueConstraint(fields=["funding_round", "name"], name="unique_round_criterion")]

    def __str__(self) -> str:
        return f"{self.name} ({self.weight}%)"


class Bid(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    funding_round = models.ForeignKey(FundingRound, on_delete=models.PROTECT, related_name="bids")
    number = models.PositiveIntegerField(editable=False)
    reference = models.CharField(max_length=30, unique=True, editable=False)
    lead_council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="led_bids")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)  # the open data's Last-Modified
    state = FSMField(choices=BidState.choices, default=BidState.DRAFT, protected=True, db_index=True)

    # Content
    title = models.CharField(max_length=200, blank=True)
    summary = models.TextField(blank=True, help_text="At most 250 words")
    problem = models.TextField(blank=True)
    user_needs = models.TextField("user needs and evidence", blank=True)
    approach = models.TextField(blank=True)
    outputs_and_reuse = models.TextField(blank=True)
    working_in_the_open = models.TextField(blank=True)
    phase = models.CharField(max_length=20, choices=Phase.choices, blank=True)
    amount_requested = models.DecimalField(
        **MONEY, null=True, blank=True, validators=[MinValueValidator(Decimal("0.01"))]
    )
    planned_start = models.DateField(null=True, blank=True)
    duration_months = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(36)]
    )
    lead_contact_name = models.CharField(max_length=150, blank=True)
    lead_contact_email = models.EmailField(blank=True)
    lead_contact_phone = models.CharField(max_length=30, blank=True)
    # Per-section edit counters, so a save based on an older page never silently overwrites a colleague.
    section_versions = models.JSONField(default=dict, blank=True)
    # Project lineage: the funded earlier phase (a discovery or an alpha) this bid continues.
    continues = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="continuations",
        help_text="The funded earlier phase of the same project that this bid continues",
    )

    # Lifecycle facts, set by transitions
    submitted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    status_note = models.TextField(
        blank=True, help_text="The latest message to the council: changes asked for, reason or feedback"
    )
    award_amount = models.DecimalField(**MONEY, null=True, blank=True)
    award_conditions = models.TextField(blank=True)

    # Assessment results, stored by the assessment services for fast lists
    final_score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True, db_index=True)
    criterion_scores = models.JSONField(default=dict, blank=True)
    needs_moderation = models.BooleanField(default=False, db_index=True)

    class Meta:
        ordering = ["funding_round", "number"]
        constraints = [
            models.UniqueConstraint(fields=["funding_round", "number"], name="unique_bid_number_in_round"),
            models.CheckConstraint(
                condition=models.Q(award_amount__isnull=True) | models.Q(award_amount__gt=0),
                name="award_amount_positive",
            ),
        ]
        indexes = [
            # The latest change to each round's bids, one index probe per round (the dashboard's per-round cache).
            models.Index(fields=["funding_round", "updated_at"], name="bid_round_updated_at"),
            # A round's bids in a state; and the dashboard's figures of a round (counts and money per state, times
            # to decision) from the index alone (an index-only scan on PostgreSQL; SQLite ignores `include`).
            models.Index(
                fields=["funding_round", "state"],
                name="bid_round_figures",
                include=["id", "amount_requested", "award_amount", "submitted_at", "decided_at", "needs_moderation"],
            ),
            # The public funded-projects page and its totals: awards newest decision first, and their amounts
            # and rounds without reading the bids (an index-only scan on PostgreSQL; SQLite ignores `include`).
            models.Index(
                fields=["-decided_at", "id"],
                name="bid_awards_by_decision",
                condition=models.Q(state="awarded"),
                include=["funding_round", "award_amount"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}".strip()

    @staticmethod
    def reference_for(round_code: str, number: int) -> str:
        """A bid's reference, from its round's code and its number in the round: LDF-R6-0001."""
        return f"LDF-{round_code}-{number:04d}"

    # --- The state machine. Transitions only change this row's fields; services save and record history.

    @transition(
        field=state,
        source=BidState.DRAFT,
        target=BidState.IN_REVIEW,
        conditions=[conditions.submission_is_complete],
        permission="bids.submit_bid",
    )
    def submit(self) -> None:
        self.submitted_at = timezone.now()
        self.status_note = ""

    @transition(
        field=state,
        # Scored too: a council sees a scored bid as in review, and may withdraw it until decisions begin.
        source=[BidState.DRAFT, BidState.IN_REVIEW, BidState.SCORED],
        target=BidState.WITHDRAWN,
        conditions=[conditions.decisions_not_begun],
        permission="bids.withdraw_bid",
    )
    def withdraw(self, *, reason: str) -> None:
        self.status_note = reason
        self.decided_at = timezone.now()

    @transition(
        field=state,
        source=BidState.IN_REVIEW,
        target=BidState.DRAFT,
        conditions=[conditions.no_assessment_submitted],
        permission="bids.return_bid",
    )
    def return_for_changes(self, *, message: str) -> None:
        self.status_note = message

    @transition(field=state, source=BidState.IN_REVIEW, target=BidState.INELIGIBLE, permission="bids.decide_bid")
    def mark_ineligible(self, *, reason: str) -> None:
        self.status_note = reason
        self.decided_at = timezone.now()

    @transition(
        field=state,
        source=BidState.IN_REVIEW,
        target=BidState.SCORED,
        conditions=[conditions.scoring_is_complete],
        permission="bids.score_bid",
    )
    def mark_scored(self) -> None:
        pass

    @transition(
        field=state,
        source=BidState.SCORED,
        target=BidState.AWARDED,
        conditions=[conditions.round_is_deciding],
        permission="bids.decide_bid",
    )
    def award(self, *, amount: Decimal, conditions: str) -> None:
        self.award_amount = amount
        self.award_conditions = conditions
        self.decided_at = timezone.now()

    @transition(
        field=state,
        source=BidState.SCORED,
        target=BidState.NOT_FUNDED,
        conditions=[conditions.round_is_deciding],
        permission="bids.decide_bid",
    )
    def decline(self, *, feedback: str) -> None:
        self.status_note = feedback
        self.decided_at = timezone.now()

    @transition(
        field=state,
        source=[BidState.AWARDED, BidState.NOT_FUNDED],
        target=BidState.SCORED,
        conditions=[conditions.round_is_deciding],
        permission="bids.decide_bid",
    )
    def reconsider(self) -> None:
        """While the round is deciding nobody outside the fund has been told, so a decision may be taken back
        (a wrong amount, the wrong bid) and taken again."""
        self.award_amount = None
        self.award_conditions = ""
        self.status_note = ""
        self.decided_at = None


class BidPartner(models.Model):
    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="partners")
    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="partnerships")
    status = models.CharField(max_length=20, choices=PartnerStatus.choices, default=PartnerStatus.INVITED)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    invited_at = models.DateTimeField(default=timezone.now)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["bid", "invited_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["bid", "council"], name="unique_bid_partner")]

    def __str__(self) -> str:
        return f"{self.council} on {self.bid.reference} ({self.get_status_display()})"


class CostLine(models.Model):
    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="cost_lines")
    payer = models.CharField(max_length=20, choices=Payer.choices)
    payer_council = models.ForeignKey(
        Council,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The partner council that spends this, when the payer is a partner",
    )
    description = models.CharField(max_length=300)
    amount = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0.01"))])

    class Meta:
        ordering = ["bid", "pk"]

    def __str__(self) -> str:
        return f"{self.description}: £{self.amount:,.2f}"


class BidDocument(models.Model):
    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(upload_to="bid-documents/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    # A spreadsheet with formulas (allowed in XLSX and ODS): every page offering it says so.
    has_formulas = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["bid", "uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class BidTransition(TransitionRecord):
    """One row per state change: the bid's history, written in the same transaction as the change."""

    subject = "bid"
    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="history")
    source_state = models.CharField(max_length=20, choices=BidState.choices)
    target_state = models.CharField(max_length=20, choices=BidState.choices)

    class Meta:
        ordering = ["bid", "at", "pk"]


class BidSift(models.Model):
    """Staff's eligibility decision on a submitted bid, with the checklist's unmet checks when it was made.
    A bid returned for changes loses its sift: it is sifted again when resubmitted."""

    bid = models.OneToOneField(Bid, on_delete=models.CASCADE, related_name="sift")
    decision = models.CharField(max_length=20, choices=SiftDecision.choices)
    note = models.TextField(
        blank=True, help_text="Why the bid is ineligible, or why it is eligible although checks were unmet"
    )
    unmet_checks = models.JSONField(default=list, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "eligibility sift"

    def __str__(self) -> str:
        return f"{self.bid_id}: {self.get_decision_display()}"


class Clarification(models.Model):
    """A question to a bid's team about a submitted bid, and their answer. Staff ask it (an assessor may
    propose one, which staff send or not); members of the lead council answer it. The bid stays in review."""

    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="clarifications")
    status = models.CharField(
        max_length=20, choices=ClarificationStatus.choices, default=ClarificationStatus.ASKED, db_index=True
    )
    question = models.TextField()
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    proposed_at = models.DateTimeField(null=True, blank=True)
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    asked_at = models.DateTimeField(null=True, blank=True)
    reply_by = models.DateField(null=True, blank=True)
    answer = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    # An optional file with the answer, stored and checked like a supporting document.
    attachment = models.FileField(upload_to="clarifications/%Y/%m/", blank=True)
    attachment_name = models.CharField(max_length=255, blank=True)
    attachment_content_type = models.CharField(max_length=100, blank=True)
    attachment_size = models.PositiveIntegerField(null=True, blank=True)
    attachment_has_formulas = models.BooleanField(default=False)

    class Meta:
        ordering = ["bid", "pk"]

    def __str__(self) -> str:
        return f"{self.bid_id}: {self.question[:40]}"

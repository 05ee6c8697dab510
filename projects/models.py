"""Funded projects: the grant offer, milestones and payments, monitoring reports, changes (variations), the final
report's outputs and reuse by other councils. One project per awarded bid, made when its round's decisions are
published (projects.receivers)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, FSMModelMixin, transition

from bids.choices import Payer
from bids.models import Bid
from core.models import TransitionRecord
from councils.models import Council
from projects import conditions
from projects.choices import (
    OutputKind,
    PaymentStatus,
    ProjectState,
    Rag,
    ReportKind,
    ReportState,
    VariationKind,
    VariationStatus,
)

MONEY = {"max_digits": 12, "decimal_places": 2}
USER = settings.AUTH_USER_MODEL


class Project(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    """An awarded bid in delivery. Its reference is the bid's; the award and its conditions are copied from the
    bid when the offer is made, so the offer says what was offered."""

    bid = models.OneToOneField(Bid, on_delete=models.PROTECT, related_name="project")
    reference = models.CharField(max_length=30, unique=True, editable=False)
    lead_council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="led_projects")
    title = models.CharField(max_length=200)
    award_amount = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    state = FSMField(choices=ProjectState.choices, default=ProjectState.OFFERED, protected=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    # The grant offer
    offer_conditions = models.TextField(blank=True)
    offered_at = models.DateTimeField(default=timezone.now)
    accepted_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    accepted_at = models.DateTimeField(null=True, blank=True)
    # The signed agreement (optional), stored and served like a bid's supporting document.
    agreement = models.FileField(upload_to="project-agreements/%Y/%m/", blank=True)
    agreement_name = models.CharField(max_length=255, blank=True)
    agreement_content_type = models.CharField(max_length=100, blank=True)
    agreement_size = models.PositiveIntegerField(null=True, blank=True)
    agreement_has_formulas = models.BooleanField(default=False, editable=False)

    # The final report and the end of the project
    lessons_learned = models.TextField(blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.TextField(blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["reference"]
        constraints = [models.CheckConstraint(condition=models.Q(award_amount__gt=0), name="project_award_positive")]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}".strip()

    # --- The state machine. Transitions only change this row's fields; services save and record history.

    @transition(
        field=state, source=ProjectState.OFFERED, target=ProjectState.IN_DELIVERY, permission="projects.accept_offer"
    )
    def accept_offer(self, *, person) -> None:
        self.accepted_by = person
        self.accepted_at = timezone.now()

    @transition(
        field=state,
        source=ProjectState.IN_DELIVERY,
        target=ProjectState.COMPLETED,
        conditions=[
            conditions.every_milestone_evidenced,
            conditions.final_report_has_outputs,
            conditions.final_report_has_lessons,
        ],
        permission="projects.submit_final_report",
    )
    def complete(self) -> None:
        self.completed_at = timezone.now()

    @transition(
        field=state,
        source=ProjectState.COMPLETED,
        target=ProjectState.CLOSED,
        conditions=[conditions.no_payment_awaiting_approval],
        permission="projects.close_project",
    )
    def close(self) -> None:
        self.closed_at = timezone.now()

    @transition(
        field=state,
        source=[ProjectState.OFFERED, ProjectState.IN_DELIVERY],
        target=ProjectState.WITHDRAWN,
        permission="projects.withdraw_project",
    )
    def withdraw(self, *, reason: str) -> None:
        self.withdrawn_reason = reason
        self.withdrawn_at = timezone.now()


class ProjectTransition(TransitionRecord):
    """One row per project state change, written in the same transaction as the change."""

    subject = "project"
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="history")
    source_state = models.CharField(max_length=20, choices=ProjectState.choices)
    target_state = models.CharField(max_length=20, choices=ProjectState.choices)

    class Meta:
        ordering = ["project", "at", "pk"]


class ProjectCertifier(models.Model):
    """The member of the lead council who certifies the project's monitoring reports (such as its section 151
    officer), chosen by the lead council or the programme team."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="certifier")
    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="certified_projects")
    role_title = models.CharField(max_length=100, blank=True, help_text="For example, section 151 officer")
    appointed_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    appointed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.project_id}: {self.user_id}"


class Milestone(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(max_length=200)
    due_date = models.DateField()
    evidence = models.TextField(blank=True)
    evidence_file = models.FileField(upload_to="milestone-evidence/%Y/%m/", blank=True)
    evidence_file_name = models.CharField(max_length=255, blank=True)
    evidence_file_content_type = models.CharField(max_length=100, blank=True)
    evidence_file_size = models.PositiveIntegerField(null=True, blank=True)
    evidence_file_has_formulas = models.BooleanField(default=False, editable=False)
    submitted_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["project", "due_date", "pk"]

    def __str__(self) -> str:
        return f"{self.title} ({self.due_date})"

    @property
    def evidence_submitted(self) -> bool:
        return self.submitted_at is not None


class Payment(models.Model):
    """The payment due when a milestone is met. A staff member proposes it and a different one approves it
    (the two-person rule, kept by the service and by the database)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="payments")
    milestone = models.OneToOneField(Milestone, on_delete=models.PROTECT, related_name="payment")
    amount = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    status = models.CharField(
        max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.SCHEDULED, db_index=True
    )
    proposed_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    proposed_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    paid_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["project", "milestone__due_date", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(approved_by__isnull=True)
                | models.Q(proposed_by__isnull=True)
                | ~models.Q(approved_by=models.F("proposed_by")),
                name="payment_two_people",
            ),
        ]

    def __str__(self) -> str:
        return f"£{self.amount:,.2f} for {self.milestone_id} ({self.status})"


class MonitoringReport(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    """A report due on a date of the schedule (monthly, and at each milestone). The lead council drafts and
    submits it, the project's certifier certifies it, staff accept it or return it with a message."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="reports")
    due_date = models.DateField(db_index=True)
    kind = models.CharField(max_length=20, choices=ReportKind.choices, default=ReportKind.MONTHLY)
    state = FSMField(choices=ReportState.choices, default=ReportState.DRAFT, protected=True, db_index=True)

    progress = models.TextField("progress since the last report", blank=True)
    spend_to_date = models.DecimalField(**MONEY, null=True, blank=True, validators=[MinValueValidator(0)])
    spend_planned = models.DecimalField(
        "planned spend to date", **MONEY, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    risks = models.TextField(blank=True)
    rag = models.CharField("RAG rating", max_length=10, choices=Rag.choices, blank=True)
    outputs = models.TextField("outputs so far", blank=True)
    next_steps = models.TextField(blank=True)

    drafted_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    submitted_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    certified_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    certified_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    accepted_at = models.DateTimeField(null=True, blank=True)
    returned_message = models.TextField(blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["project", "due_date", "pk"]
        constraints = [models.UniqueConstraint(fields=["project", "due_date"], name="one_report_per_project_date")]

    def __str__(self) -> str:
        return f"{self.project_id}: report due {self.due_date}"

    @property
    def has_content(self) -> bool:
        return bool(self.progress or self.risks or self.outputs or self.next_steps or self.spend_to_date is not None)

    @transition(
        field=state,
        source=ReportState.DRAFT,
        target=ReportState.SUBMITTED,
        conditions=[conditions.project_in_delivery, conditions.report_is_complete],
        permission="projects.submit_report",
    )
    def submit(self, *, person) -> None:
        self.submitted_by = person
        self.submitted_at = timezone.now()

    @transition(
        field=state,
        source=ReportState.SUBMITTED,
        target=ReportState.CERTIFIED,
        conditions=[conditions.project_in_delivery],
        permission="projects.certify_report",
    )
    def certify(self, *, person) -> None:
        self.certified_by = person
        self.certified_at = timezone.now()

    @transition(
        field=state,
        source=ReportState.CERTIFIED,
        target=ReportState.ACCEPTED,
        conditions=[conditions.project_in_delivery],
        permission="projects.accept_report",
    )
    def accept(self, *, person) -> None:
        self.accepted_by = person
        self.accepted_at = timezone.now()

    @transition(
        field=state,
        source=[ReportState.SUBMITTED, ReportState.CERTIFIED],
        target=ReportState.DRAFT,
        conditions=[conditions.project_in_delivery],
        permission="projects.return_report",
    )
    def return_to_draft(self, *, message: str) -> None:
        self.returned_message = message
        self.returned_at = timezone.now()
        self.certified_by = None
        self.certified_at = None


class ReportTransition(TransitionRecord):
    subject = "report"
    report = models.ForeignKey(MonitoringReport, on_delete=models.CASCADE, related_name="history")
    source_state = models.CharField(max_length=20, choices=ReportState.choices)
    target_state = models.CharField(max_length=20, choices=ReportState.choices)

    class Meta:
        ordering = ["report", "at", "pk"]


class BudgetLine(models.Model):
    """One line of the project's budget: at the offer, a copy of the bid's cost lines (the bid stays as it was
    assessed); afterwards changed only by an approved change (a variation) that moves money between lines."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="budget_lines")
    payer = models.CharField(max_length=20, choices=Payer.choices)
    payer_council = models.ForeignKey(Council, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    description = models.CharField(max_length=300)
    amount = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0"))])

    class Meta:
        ordering = ["project", "pk"]

    def __str__(self) -> str:
        return f"{self.description}: £{self.amount:,.2f}"


class Variation(models.Model):
    """A change the lead council asks for: new milestone dates, money moved between payments or between budget
    lines, or scope. When staff approve it, its `changes` are applied in the same transaction."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="variations")
    kind = models.CharField(max_length=20, choices=VariationKind.choices)
    reasons = models.TextField()
    # dates: {"<milestone id>": "YYYY-MM-DD"}; money: {"<payment id>": "amount"}; budget: {"<budget line id>":
    # "amount"}; scope: {"scope": "new scope"}
    changes = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=20, choices=VariationStatus.choices, default=VariationStatus.REQUESTED, db_index=True
    )
    requested_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["project", "requested_at", "pk"]

    def __str__(self) -> str:
        return f"{self.project_id}: {self.get_kind_display()} ({self.status})"


class ProjectOutput(models.Model):
    """One output of the final report: a link to code, research or a service pattern."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="outputs")
    title = models.CharField(max_length=200)
    url = models.URLField("link", max_length=500)
    kind = models.CharField(max_length=20, choices=OutputKind.choices)
    added_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["project", "pk"]

    def __str__(self) -> str:
        return self.title


class Reuse(models.Model):
    """A signatory council records that it reuses a project's outputs (once per council and project)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="reuses")
    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="reuses")
    note = models.TextField()
    recorded_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["project", "recorded_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["project", "council"], name="one_reuse_per_council")]

    def __str__(self) -> str:
        return f"{self.council_id} reuses {self.project_id}"

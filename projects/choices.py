"""States and options for funded projects: the offer, milestones and payments, reports, changes, outputs."""

from django.db import models


class ProjectState(models.TextChoices):
    OFFERED = "offered", "Offered"
    IN_DELIVERY = "in_delivery", "In delivery"
    COMPLETED = "completed", "Completed"
    CLOSED = "closed", "Closed"
    WITHDRAWN = "withdrawn", "Withdrawn"


PROJECT_STATE_TAG_CLASS = {
    ProjectState.OFFERED: "govuk-tag--yellow",
    ProjectState.IN_DELIVERY: "govuk-tag--blue",
    ProjectState.COMPLETED: "govuk-tag--green",
    ProjectState.CLOSED: "govuk-tag--grey",
    ProjectState.WITHDRAWN: "govuk-tag--red",
}


class PaymentStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    PROPOSED = "proposed", "Proposed"
    APPROVED = "approved", "Approved and paid"


PAYMENT_STATUS_TAG_CLASS = {
    PaymentStatus.SCHEDULED: "govuk-tag--grey",
    PaymentStatus.PROPOSED: "govuk-tag--yellow",
    PaymentStatus.APPROVED: "govuk-tag--green",
}


class ReportState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Awaiting certification"
    CERTIFIED = "certified", "Certified"
    ACCEPTED = "accepted", "Accepted"


REPORT_STATE_TAG_CLASS = {
    ReportState.DRAFT: "govuk-tag--grey",
    ReportState.SUBMITTED: "govuk-tag--yellow",
    ReportState.CERTIFIED: "govuk-tag--blue",
    ReportState.ACCEPTED: "govuk-tag--green",
}


class ReportKind(models.TextChoices):
    MONTHLY = "monthly", "Monthly"
    MILESTONE = "milestone", "Milestone"


class Rag(models.TextChoices):
    RED = "red", "Red"
    AMBER = "amber", "Amber"
    GREEN = "green", "Green"


RAG_TAG_CLASS = {Rag.RED: "govuk-tag--red", Rag.AMBER: "govuk-tag--orange", Rag.GREEN: "govuk-tag--green"}


class VariationKind(models.TextChoices):
    DATES = "dates", "Change milestone dates"
    MONEY = "money", "Move money between payments"
    SCOPE = "scope", "Change the scope"


class VariationStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"


VARIATION_STATUS_TAG_CLASS = {
    VariationStatus.REQUESTED: "govuk-tag--yellow",
    VariationStatus.APPROVED: "govuk-tag--green",
    VariationStatus.DECLINED: "govuk-tag--red",
}


class OutputKind(models.TextChoices):
    CODE = "code", "Code"
    RESEARCH = "research", "Research"
    SERVICE_PATTERN = "service_pattern", "Service pattern"
    OTHER = "other", "Other"

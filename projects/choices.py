"""States and options for funded projects: the offer, milestones and payments, reports, changes, outputs."""

from django.db import models

from core.choices import TaggedChoices


class ProjectState(TaggedChoices):
    OFFERED = "offered", "Offered", "yellow"
    IN_DELIVERY = "in_delivery", "In delivery", "blue"
    COMPLETED = "completed", "Completed", "green"
    CLOSED = "closed", "Closed", "grey"
    WITHDRAWN = "withdrawn", "Withdrawn", "red"


class PaymentStatus(TaggedChoices):
    SCHEDULED = "scheduled", "Scheduled", "grey"
    PROPOSED = "proposed", "Proposed", "yellow"
    APPROVED = "approved", "Approved and paid", "green"


class PaymentShown(TaggedChoices):
    """A payment as pages, the finance CSV and the API say it (`projects.selectors.payment_shown`): its status,
    or released when its project will pay nothing more (a scheduled payment of a closed or withdrawn project)."""

    SCHEDULED = "scheduled", "Scheduled", "grey"
    PROPOSED = "proposed", "Proposed", "yellow"
    APPROVED = "approved", "Approved and paid", "green"
    RELEASED = "released", "Not paid: released", "grey"


class ReportState(TaggedChoices):
    DRAFT = "draft", "Draft", "grey"
    SUBMITTED = "submitted", "Awaiting certification", "yellow"
    CERTIFIED = "certified", "Certified", "blue"
    ACCEPTED = "accepted", "Accepted", "green"


class ReportKind(models.TextChoices):
    MONTHLY = "monthly", "Monthly"
    MILESTONE = "milestone", "Milestone"


class Rag(TaggedChoices):
    RED = "red", "Red", "red"
    AMBER = "amber", "Amber", "orange"
    GREEN = "green", "Green", "green"


class VariationKind(models.TextChoices):
    DATES = "dates", "Change milestone dates"
    MONEY = "money", "Move money between payments"
    BUDGET = "budget", "Move money between budget lines"
    SCOPE = "scope", "Change the scope"


class VariationStatus(TaggedChoices):
    REQUESTED = "requested", "Requested", "yellow"
    APPROVED = "approved", "Approved", "green"
    DECLINED = "declined", "Declined", "red"


class OutputKind(models.TextChoices):
    CODE = "code", "Code"
    RESEARCH = "research", "Research"
    SERVICE_PATTERN = "service_pattern", "Service pattern"
    OTHER = "other", "Other"

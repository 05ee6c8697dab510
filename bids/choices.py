"""States and options for rounds and bids."""

from django.db import models

from core.choices import TaggedChoices


class RoundState(TaggedChoices):
    """A round's life: it opens and closes at its times (Celery beat), then staff move it on."""

    UPCOMING = "upcoming", "Upcoming", "grey"
    OPEN = "open", "Open for bids", "green"
    CLOSED = "closed", "Closed", "yellow"
    ASSESSING = "assessing", "Assessing", "blue"
    DECIDING = "deciding", "Deciding", "purple"
    PUBLISHED = "decisions_published", "Decisions published", "turquoise"


class BidState(TaggedChoices):
    DRAFT = "draft", "Draft", "grey"
    IN_REVIEW = "in_review", "In review", "blue"
    SCORED = "scored", "Scored", "purple"
    AWARDED = "awarded", "Awarded", "green"
    NOT_FUNDED = "not_funded", "Not funded", "orange"
    INELIGIBLE = "ineligible", "Ineligible", "red"
    WITHDRAWN = "withdrawn", "Withdrawn", "grey"


# States in which the fund has made its decision (used for "time to decision").
DECIDED_STATES = (BidState.AWARDED, BidState.NOT_FUNDED, BidState.INELIGIBLE)


class Phase(models.TextChoices):
    DISCOVERY = "discovery", "Discovery"
    ALPHA = "alpha", "Alpha"
    BETA = "beta", "Beta"


# The phase a funded project continues into ("Start the next phase"); live services are not funded.
NEXT_PHASE = {Phase.DISCOVERY: Phase.ALPHA, Phase.ALPHA: Phase.BETA}


class PartnerStatus(models.TextChoices):
    INVITED = "invited", "Invited"
    CONFIRMED = "confirmed", "Confirmed"
    DECLINED = "declined", "Declined"


class Payer(models.TextChoices):
    LEAD = "lead", "Lead council"
    PARTNER = "partner", "Partner council"
    SUPPLIER = "supplier", "Supplier"


class CriterionCode(models.TextChoices):
    STRATEGIC_FIT = "strategic_fit", "Strategic fit"
    DELIVERABILITY = "deliverability", "Deliverability"
    VALUE_FOR_MONEY = "value_for_money", "Value for money"
    OTHER = "other", "Other"


class SiftDecision(models.TextChoices):
    """Staff's eligibility decision on a submitted bid (the sift)."""

    ELIGIBLE = "eligible", "Eligible"
    INELIGIBLE = "ineligible", "Ineligible"


class ClarificationStatus(models.TextChoices):
    """A clarification question: proposed by an assessor (staff send it or not), asked, answered."""

    PROPOSED = "proposed", "Proposed by an assessor"
    ASKED = "asked", "Waiting for an answer"
    ANSWERED = "answered", "Answered"
    DISCARDED = "discarded", "Not sent"

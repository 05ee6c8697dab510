"""States and options for rounds and bids."""

from django.db import models


class RoundState(models.TextChoices):
    """A round's life: it opens and closes at its times (Celery beat), then staff move it on."""

    UPCOMING = "upcoming", "Upcoming"
    OPEN = "open", "Open for bids"
    CLOSED = "closed", "Closed"
    ASSESSING = "assessing", "Assessing"
    DECIDING = "deciding", "Deciding"
    PUBLISHED = "decisions_published", "Decisions published"


ROUND_STATE_TAG_CLASS = {
    RoundState.UPCOMING: "govuk-tag--grey",
    RoundState.OPEN: "govuk-tag--green",
    RoundState.CLOSED: "govuk-tag--yellow",
    RoundState.ASSESSING: "govuk-tag--blue",
    RoundState.DECIDING: "govuk-tag--purple",
    RoundState.PUBLISHED: "govuk-tag--turquoise",
}


class BidState(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    SCORED = "scored", "Scored"
    AWARDED = "awarded", "Awarded"
    NOT_FUNDED = "not_funded", "Not funded"
    INELIGIBLE = "ineligible", "Ineligible"
    WITHDRAWN = "withdrawn", "Withdrawn"


# GOV.UK tag colour per state (the default blue tag has no modifier).
BID_STATE_TAG_CLASS = {
    BidState.DRAFT: "govuk-tag--grey",
    BidState.IN_REVIEW: "govuk-tag--blue",
    BidState.SCORED: "govuk-tag--purple",
    BidState.AWARDED: "govuk-tag--green",
    BidState.NOT_FUNDED: "govuk-tag--orange",
    BidState.INELIGIBLE: "govuk-tag--red",
    BidState.WITHDRAWN: "govuk-tag--grey",
}

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

"""States and options for rounds and bids."""

from django.db import models


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

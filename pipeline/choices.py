"""Options for the staff pipeline: regions, sort orders, the decisions staff take from the bid page."""

from django.db import models

from councils.models import DISPLAY_NAME_FIELD

# The nine English regions (ONS), as in councils/data/english-councils.csv. Fixed, so the filter needs no query.
REGIONS = [
    "East Midlands",
    "East of England",
    "London",
    "North East",
    "North West",
    "South East",
    "South West",
    "West Midlands",
    "Yorkshire and The Humber",
]


class Sort(models.TextChoices):
    REFERENCE = "reference", "Reference"
    TITLE = "title", "Title"
    LEAD_COUNCIL = "lead_council", "Lead council"
    AMOUNT = "amount", "Amount requested"
    SCORE = "score", "Final score"
    SUBMITTED = "submitted", "Date submitted"
    STATE = "state", "Status"


# Sort key → model ordering (the primary key breaks ties so pages are stable).
SORT_FIELDS = {
    Sort.REFERENCE: ("reference",),
    Sort.TITLE: ("title", "pk"),
    Sort.LEAD_COUNCIL: (f"lead_council__{DISPLAY_NAME_FIELD}", "pk"),
    Sort.AMOUNT: ("amount_requested", "pk"),
    Sort.SCORE: ("final_score", "pk"),
    Sort.SUBMITTED: ("submitted_at", "pk"),
    Sort.STATE: ("state", "pk"),
}


class Decision(models.TextChoices):
    """Decisions staff take on the bid page: URL slug → the bid transition it runs."""

    RETURN = "return", "Return for changes"
    INELIGIBLE = "ineligible", "Mark as ineligible"
    AWARD = "award", "Award funding"
    DECLINE = "decline", "Decline (not funded)"
    RECONSIDER = "reconsider", "Change the decision"


DECISION_TRANSITIONS = {
    Decision.RETURN: "return_for_changes",
    Decision.INELIGIBLE: "mark_ineligible",
    Decision.AWARD: "award",
    Decision.DECLINE: "decline",
    Decision.RECONSIDER: "reconsider",
}

# The state each decision leaves a bid in (literal states: a repeated confirmation finds the bid there).
DECISION_RESULTS = {
    Decision.RETURN: "draft",
    Decision.INELIGIBLE: "ineligible",
    Decision.AWARD: "awarded",
    Decision.DECLINE: "not_funded",
    Decision.RECONSIDER: "scored",
}

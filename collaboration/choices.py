"""States and options for calls for partners and requests to join."""

from django.db import models


class CallStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class CloseReason(models.TextChoices):
    BY_LEAD = "by_lead", "Closed by the lead council"
    SUBMITTED = "submitted", "The bid was submitted"
    WITHDRAWN = "withdrawn", "The bid was withdrawn"


class RequestStatus(models.TextChoices):
    PENDING = "pending", "Waiting for an answer"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    # The call closed (the bid was submitted or withdrawn, or the lead closed it) before anyone answered.
    CLOSED = "closed", "Call closed"


class MatchKind(models.TextChoices):
    """What a piece of similar work is, as the viewer sees it."""

    FUNDED = "funded", "Funded project"
    CALL = "call", "Looking for partners"
    BID = "bid", "Submitted bid"

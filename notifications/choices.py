"""The events people hear about (../docs: "Who hears what") and outbox states."""

from django.db import models


class Event(models.TextChoices):
    BID_SUBMITTED = "bid_submitted", "Bid submitted"
    PARTNER_INVITED = "partner_invited", "Partner invited"
    PARTNER_RESPONDED = "partner_responded", "Partner confirmed or declined"
    BID_RETURNED = "bid_returned", "Returned for changes"
    BID_WITHDRAWN = "bid_withdrawn", "Withdrawn"
    BID_INELIGIBLE = "bid_ineligible", "Ineligible"
    ASSESSOR_ASSIGNED = "assessor_assigned", "Assessor assigned"
    ASSESSOR_UNASSIGNED = "assessor_unassigned", "Assessor unassigned"
    CONFLICT_DECLARED = "conflict_declared", "Conflict declared"
    CONFLICT_FOUND = "conflict_found", "Conflict found"
    MODERATION_NEEDED = "moderation_needed", "Moderation needed"
    BID_SCORED = "bid_scored", "Bid scored"
    BID_AWARDED = "bid_awarded", "Awarded"
    BID_NOT_FUNDED = "bid_not_funded", "Not funded"
    ROUND_CLOSING = "round_closing", "Round closes soon"
    ASSESSMENT_DUE = "assessment_due", "Assessment due soon"
    ASSESSMENT_OVERDUE = "assessment_overdue", "Assessment overdue"
    PASSWORD_RESET = "password_reset", "Password reset"
    ACCOUNT_CHANGED = "account_changed", "How you sign in changed"
    PARTNER_CALL_REQUEST = "partner_call_request", "Request to join a bid"
    PARTNER_CALL_ANSWERED = "partner_call_answered", "Request to join answered"
    PARTNER_CALL_CLOSED = "partner_call_closed", "Call for partners closed"
    ROUND_OPENED = "round_opened", "Round opened"
    ROUND_CLOSED = "round_closed", "Round closed"
    CLARIFICATION_PROPOSED = "clarification_proposed", "Clarification question proposed"
    CLARIFICATION_ASKED = "clarification_asked", "Clarification question asked"
    CLARIFICATION_ANSWERED = "clarification_answered", "Clarification question answered"
    CLARIFICATION_REMINDER = "clarification_reminder", "Clarification answer due soon"
    ASSESSMENT_NUDGE = "assessment_nudge", "Assessments to finish"
    OFFER_MADE = "offer_made", "Grant offer made"
    OFFER_ACCEPTED = "offer_accepted", "Grant offer accepted"
    OFFER_REMINDER = "offer_reminder", "Grant offer not yet accepted"
    REPORT_SUBMITTED = "report_submitted", "Monitoring report to certify"
    REPORT_CERTIFIED = "report_certified", "Monitoring report certified"
    REPORT_RETURNED = "report_returned", "Monitoring report returned"
    REPORT_ACCEPTED = "report_accepted", "Monitoring report accepted"
    REPORT_DUE = "report_due", "Monitoring report due soon"
    REPORT_OVERDUE = "report_overdue", "Monitoring report overdue"
    PAYMENT_PROPOSED = "payment_proposed", "Payment to approve"
    PAYMENT_APPROVED = "payment_approved", "Payment approved"
    VARIATION_REQUESTED = "variation_requested", "Change requested"
    VARIATION_DECIDED = "variation_decided", "Change decided"
    PROJECT_COMPLETED = "project_completed", "Final report submitted"
    PROJECT_CLOSED = "project_closed", "Project closed"
    PROJECT_WITHDRAWN = "project_withdrawn", "Project withdrawn"


# About a person's account, not a bid: no bid reference in the subject.
ACCOUNT_EVENTS = frozenset({Event.PASSWORD_RESET, Event.ACCOUNT_CHANGED})
# About a round, not one bid: the round's name leads the subject. (A round closing is told to staff about the
# round, and to the lead council of each draft about their bid, with its reference.)
ROUND_EVENTS = frozenset({Event.ROUND_OPENED, Event.ASSESSMENT_NUDGE})

# Reminders can be switched off by the recipient; decisions and receipts always go.
NON_ESSENTIAL_EVENTS = frozenset(
    {
        Event.ROUND_CLOSING,
        Event.ASSESSMENT_DUE,
        Event.ASSESSMENT_OVERDUE,
        Event.OFFER_REMINDER,
        Event.REPORT_DUE,
        Event.REPORT_OVERDUE,
    }
)


class Status(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Failure(models.TextChoices):
    """Why a failed message failed: the mail server refused it for good (a 5xx: a wrong address, bad
    credentials), or every temporary failure was retried until the retry window ran out (an outage)."""

    PERMANENT = "permanent", "Refused by the mail server"
    GAVE_UP = "gave_up", "Gave up after retrying"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    # The recipient switched off this kind of email: the message is only shown on their Notifications page.
    IN_APP = "in_app", "In-app only"

"""CSV download of the bid table's filtered set, streamed row by row.

Spreadsheet programs run a cell that starts with = + - @ (or a tab / carriage return) as a formula, so any
such cell is prefixed with an apostrophe: a bid title can never become a formula on a staff laptop.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from bids.choices import BidState, PartnerStatus, Phase
from bids.models import Bid, BidPartner
from councils.models import DISPLAY_NAME_FIELD
from projects.choices import PaymentShown
from projects.selectors import payment_shown

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

HEADER = [
    "Reference",
    "Round",
    "Title",
    "Lead council",
    "Lead council code",
    "Region",
    "Partner councils",
    "Phase",
    "Status",
    "Amount requested (£)",
    "Amount awarded (£)",
    "Final score",
    "Needs moderation",
    "Submitted",
    "Decided",
]


def safe_cell(value: object) -> str:
    """The cell as text, neutralised if a spreadsheet would read it as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    text = str(value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _money(value: Decimal | None) -> str:
    return f"{value:.2f}" if value is not None else ""


def bid_csv_rows(bids: QuerySet[Bid]) -> Iterator[list[str]]:
    phases = dict(Phase.choices)
    states = dict(BidState.choices)
    partners = Prefetch(
        "partners",
        queryset=BidPartner.objects.filter(status=PartnerStatus.CONFIRMED)
        .select_related("council")
        .only("bid_id", f"council__{DISPLAY_NAME_FIELD}"),
        to_attr="confirmed_partners",
    )
    yield HEADER
    for bid in bids.prefetch_related(partners).iterator(chunk_size=1000):
        yield [
            safe_cell(value)
            for value in (
                bid.reference,
                bid.funding_round.name,
                bid.title,
                bid.lead_council.name,
                bid.lead_council.register_code,
                bid.lead_council.region,
                "; ".join(sorted(partner.council.name for partner in bid.confirmed_partners)),
                phases.get(bid.phase, ""),
                states.get(bid.state, bid.state),
                _money(bid.amount_requested),
                _money(bid.award_amount),
                bid.final_score,
                bid.needs_moderation,
                _when(bid.submitted_at),
                _when(bid.decided_at),
            )
        ]


class _Echo:
    """A file-like object whose write returns the line, so csv.writer feeds a streaming response."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[list[str]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    # A byte-order mark so Excel reads the file as UTF-8 (names like "Bath and North East Somerset" are ASCII,
    # but £ signs and accents in titles are not).
    yield "\ufeff"
    for row in rows:
        yield writer.writerow(row)


FINANCE_HEADER = [
    "Round",
    "Project",
    "Title",
    "Lead council",
    "Lead council code",
    "Project state",
    "Award (GBP)",
    "Milestone",
    "Milestone due",
    "Payment (GBP)",
    "Payment status",
    "Proposed by",
    "Proposed at",
    "Approved by",
    "Approved at",
    "Paid on",
]


def finance_csv_rows(payments: QuerySet) -> Iterator[list[str]]:
    """One row per scheduled payment (`projects.selectors.finance_rows`), formula-safe like the bid CSV: what
    finance pays, against which milestone, who proposed and who approved it (two different people)."""
    yield FINANCE_HEADER
    for payment in payments.iterator(chunk_size=1000):
        project = payment.project
        yield [
            safe_cell(value)
            for value in (
                project.bid.funding_round.name,
                project.reference,
                project.title,
                project.lead_council.name,
                project.lead_council.register_code,
                project.get_state_display(),
                _money(project.award_amount),
                payment.milestone.title,
                payment.milestone.due_date.isoformat(),
                _money(payment.amount),
                PaymentShown(payment_shown(payment, project)).label,
                payment.proposed_by.email if payment.proposed_by else "",
                _when(payment.proposed_at),
                payment.approved_by.email if payment.approved_by else "",
                _when(payment.approved_at),
                payment.paid_on.isoformat() if payment.paid_on else "",
            )
        ]

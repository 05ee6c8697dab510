"""Every write to rounds and bids. Each service owns its transaction, permission check and history.

Transitions run through `BID_MACHINE` (core's one transition runner: state, `rules` permission, the
conditions' reasons, `save()` and the `BidTransition` row) inside the service's `transaction.atomic()`, with
the notifications' outbox rows written in the same transaction. Reads (recipients, budgets, the submission
rules that look across the round) come from `bids.selectors`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from bids.choices import NEXT_PHASE, BidState, CriterionCode, PartnerStatus, Payer, Phase
from bids.conditions import planned_start_message
from bids.documents import document_check
from bids.models import (
    ANSWER_WORD_LIMITS,
    BID_SECTIONS,
    MAX_DOCUMENTS_PER_BID,
    Bid,
    BidDocument,
    BidPartner,
    BidTransition,
    CostLine,
    Criterion,
    FundingRound,
    RoundPhase,
)
from bids.rules import is_assigned_to_assess_bid
from bids.selectors import (
    bid_lead_members,
    bid_partner_members,
    bid_snapshot,
    bid_submission_problems,
    round_remaining_budget,
)
from bids.signals import bid_content_changed, bid_state_changed, council_joined_bid
from core.exceptions import ApplicationError, Problem
from core.formatting import money, word_count
from core.money import MoneyError, as_amount
from core.transitions import Machine, required_text
from councils.models import Council, User
from councils.selectors import council_members, programme_staff, user_council_ids
from notifications.choices import Event
from notifications.services import notify


def _record(bid: Bid, transition: str, source: str, by: User | None, note: str) -> BidTransition:
    row = BidTransition.objects.create(
        bid=bid, transition=transition, source_state=source, target_state=bid.state, by=by, note=note
    )
    # Every transition is recorded here, so this is the one place apps above bids hear of state changes.
    bid_state_changed.send(sender=Bid, bid=bid, transition=transition, source=source, target=bid.state)
    return row


BID_MACHINE = Machine(
    noun="bid",
    past={
        "submit": "submitted",
        "withdraw": "withdrawn",
        "return_for_changes": "returned for changes",
        "mark_ineligible": "marked ineligible",
        "mark_scored": "marked as scored",
        "award": "awarded",
        "decline": "declined",
    },
    record=_record,
)

DEFAULT_CRITERIA = [
    (
        CriterionCode.STRATEGIC_FIT,
        "Strategic fit",
        Decimal("33.34"),
        "Makes services safer, more resilient and cheaper; reuses and can be reused.",
    ),
    (
        CriterionCode.DELIVERABILITY,
        "Deliverability",
        Decimal("33.33"),
        "Resourcing, agile ways of working, risks and partner engagement.",
    ),
    (
        CriterionCode.VALUE_FOR_MONEY,
        "Value for money",
        Decimal("33.33"),
        "Savings, and the return when scaled across councils.",
    ),
]


# --- Rounds ---------------------------------------------------------------------------------------------


def round_create(
    *,
    name: str,
    code: str,
    opens_at: datetime,
    closes_at: datetime,
    budget: Decimal,
    phase_caps: dict[str, Decimal],
    assessment_deadline: datetime | None = None,
    criteria: Iterable[tuple[str, str, Decimal]] | None = None,
    **settings: object,
) -> FundingRound:
    """Create a round with its phases and criteria (defaults: the fund's three criteria, equal weights)."""
    funding_round = FundingRound(
        name=name,
        code=code,
        opens_at=opens_at,
        closes_at=closes_at,
        budget=budget,
        assessment_deadline=assessment_deadline,
        **settings,
    )
    funding_round.full_clean()
    criteria_rows = (
        [(code_, name_, weight, "") for code_, name_, weight in criteria] if criteria is not None else DEFAULT_CRITERIA
    )
    total = sum((weight for _code, _name, weight, _guidance in criteria_rows), Decimal("0"))
    if total != Decimal("100"):
        raise ApplicationError(f"Criteria weights must total 100%; they total {total}%")
    unknown = set(phase_caps) - set(Phase.values)
    if unknown or not phase_caps:
        raise ApplicationError("Choose at least one of the phases discovery, alpha or beta, each with a cap")
    with transaction.atomic():
        funding_round.save()
        RoundPhase.objects.bulk_create(
            RoundPhase(funding_round=funding_round, phase=phase, cap=cap) for phase, cap in phase_caps.items()
        )
        Criterion.objects.bulk_create(
            Criterion(
                funding_round=funding_round, code=code_, name=name_, weight=weight, guidance=guidance, position=position
            )
            for position, (code_, name_, weight, guidance) in enumerate(criteria_rows)
        )
    return funding_round


# --- Creating and editing bids --------------------------------------------------------------------------


def bid_create(*, funding_round: FundingRound, lead_council: Council, by: User, title: str = "") -> Bid:
    if lead_council.pk not in user_council_ids(by):
        raise ApplicationError(f"You are not a member of {lead_council}, so you cannot start a bid for it")
    if not funding_round.is_open():
        raise ApplicationError(f"{funding_round.name} is not open for bids")
    with transaction.atomic():
        # Lock the round so two bids started at once get different numbers.
        locked = FundingRound.objects.select_for_update().get(pk=funding_round.pk)
        number = (locked.bids.aggregate(top=Max("number"))["top"] or 0) + 1
        bid = Bid.objects.create(
            funding_round=locked,
            number=number,
            reference=f"LDF-{locked.code}-{number:04d}",
            lead_council=lead_council,
            created_by=by,
            title=title,
            lead_contact_name=by.full_name,
            lead_contact_email=by.email,
        )
        if title:
            bid_content_changed.send(sender=Bid, bid=bid, fields=["title"])
    return bid


def _amount(value: Decimal | int | str, invalid: str = "Enter the amount in pounds, like 75000 or 75000.50") -> Decimal:
    """An amount given to a service, checked by `core.money.as_amount`: a Decimal in whole pence, or text read
    by the one money parser (never by Decimal(), which reads "1e9" as a billion)."""
    try:
        return as_amount(value)
    except MoneyError as error:
        raise _amount_refused(invalid if error.code == "invalid" else str(error)) from error


def _amount_refused(message: str) -> ApplicationError:
    """A refusal of an amount, shown on the form's amount field."""
    return ApplicationError(message, problems=[Problem(message, field="amount")])


def _require_editable(bid: Bid, by: User) -> None:
    if not by.has_perm("bids.edit_bid", bid):
        raise ApplicationError("Only members of the lead council can change this bid")
    if bid.state != BidState.DRAFT:
        raise ApplicationError("This bid has been submitted, so it can no longer be changed")


def bid_update(*, bid: Bid, by: User, **fields: object) -> Bid:
    """Change content fields of a draft bid (the drafting pages add per-section conflict checks)."""
    _require_editable(bid, by)
    for name, value in fields.items():
        setattr(bid, name, value)
    try:
        bid.full_clean(exclude=["funding_round", "lead_council", "created_by", "number", "reference", "state"])
    except ValidationError as error:
        raise ApplicationError.from_validation_error(error) from error
    with transaction.atomic():
        bid.save(update_fields=[*fields, "updated_at"])
        bid_content_changed.send(sender=Bid, bid=bid, fields=list(fields))
    return bid


def partner_invite(*, bid: Bid, council: Council, by: User) -> BidPartner:
    _require_editable(bid, by)
    if council.pk == bid.lead_council_id:
        raise ApplicationError(f"{council} is the lead council, so it cannot also be a partner")
    if not council.is_signatory:
        raise ApplicationError(f"{council} has not signed the Local Digital Declaration, so it cannot be a partner")
    with transaction.atomic():
        partner, created = BidPartner.objects.get_or_create(bid=bid, council=council, defaults={"invited_by": by})
        if not created:
            if partner.status != PartnerStatus.DECLINED:
                raise ApplicationError(f"{council} has already been invited")
            partner.status = PartnerStatus.INVITED
            partner.invited_by, partner.invited_at = by, timezone.now()
            partner.responded_by = partner.responded_at = None
            partner.save()
        notify(
            event=Event.PARTNER_INVITED,
            recipients=council_members(council_ids=[council.pk]),
            context={
                **bid_snapshot(bid=bid),
                "partner_council": council.name,
                "invitation_path": reverse("bids:invitation", kwargs={"reference": bid.reference}),
            },
            key=f"{Event.PARTNER_INVITED}:{partner.pk}:{partner.invited_at.timestamp()}",
        )
    return partner


def partner_respond(*, partner: BidPartner, by: User, confirm: bool) -> BidPartner:
    """A member of the invited council confirms or declines taking part.

    Someone assigned to assess the bid may not answer for their council (confirming would put their own
    council in a bid they assess; declining would shape it): a colleague answers. When the council confirms,
    `council_joined_bid` is sent in the same transaction, so the assessment app marks conflicted every
    assessment of the bid by a member of the council (and tells staff)."""
    if partner.council_id not in user_council_ids(by):
        raise ApplicationError(f"Only members of {partner.council} can answer this invitation")
    if is_assigned_to_assess_bid(by, partner.bid):
        raise ApplicationError(
            f"You are assigned to assess {partner.bid.reference}, so you cannot answer for {partner.council}. "
            f"Ask a colleague at {partner.council} to answer"
        )
    if partner.bid.state != BidState.DRAFT:
        raise ApplicationError("This bid has been submitted, so the invitation can no longer be answered")
    if confirm and not partner.council.is_signatory:
        raise ApplicationError(
            f"{partner.council} has not signed the Local Digital Declaration, so it cannot be a partner"
        )
    with transaction.atomic():
        partner.status = PartnerStatus.CONFIRMED if confirm else PartnerStatus.DECLINED
        partner.responded_by, partner.responded_at = by, timezone.now()
        partner.save(update_fields=["status", "responded_by", "responded_at"])
        if confirm:
            council_joined_bid.send(sender=BidPartner, bid=partner.bid, council=partner.council, by=by)
        notify(
            event=Event.PARTNER_RESPONDED,
            recipients=bid_lead_members(bid=partner.bid),
            context={
                **bid_snapshot(bid=partner.bid),
                "partner_council": partner.council.name,
                "response": "confirmed" if confirm else "declined",
                "responded_by": by.full_name,
            },
            key=f"{Event.PARTNER_RESPONDED}:{partner.pk}:{partner.responded_at.timestamp()}",
        )
    return partner


def partner_add_confirmed(*, bid: Bid, council: Council, by: User, confirmed_by: User) -> BidPartner:
    """Add a council that asked to join (through a call for partners) as a confirmed partner: the lead's member
    `by` accepts, and `confirmed_by` — the member of the council who asked — has already said it takes part.

    The rules of an invitation and of its answer both hold: a draft the lead may edit, a signatory that is not
    the lead, someone who belongs to the council and does not assess the bid. `council_joined_bid` is sent in
    the same transaction, so the conflict-of-interest invariant holds as for any confirmation. A council invited
    or once declined becomes confirmed; one already confirmed is refused. Tells nobody: the caller does."""
    _require_editable(bid, by)
    if council.pk == bid.lead_council_id:
        raise ApplicationError(f"{council} is the lead council, so it cannot also be a partner")
    if not council.is_signatory:
        raise ApplicationError(f"{council} has not signed the Local Digital Declaration, so it cannot be a partner")
    if council.pk not in user_council_ids(confirmed_by):
        raise ApplicationError(f"{confirmed_by.full_name} no longer belongs to {council}, so cannot join for it")
    if is_assigned_to_assess_bid(confirmed_by, bid):
        raise ApplicationError(
            f"{confirmed_by.full_name} is assigned to assess {bid.reference}, so cannot join it for {council}"
        )
    with transaction.atomic():
        partner, created = BidPartner.objects.select_for_update().get_or_create(
            bid=bid, council=council, defaults={"invited_by": by}
        )
        if not created and partner.status == PartnerStatus.CONFIRMED:
            raise ApplicationError(f"{council} is already a partner")
        partner.status = PartnerStatus.CONFIRMED
        partner.responded_by, partner.responded_at = confirmed_by, timezone.now()
        partner.save()
        council_joined_bid.send(sender=BidPartner, bid=bid, council=council, by=confirmed_by)
    return partner


# --- Project lineage: the next phase of a funded project ------------------------------------------------


def bid_continue(*, earlier: Bid, funding_round: FundingRound, by: User) -> Bid:
    """Start the next phase of a funded discovery or alpha: a draft in an open round, led by the same council,
    linked to the earlier bid and pre-filled from it (title, summary, problem, user needs, and what the earlier
    phase produced), with the earlier bid's confirmed partners invited again (those still signatories)."""
    if not by.has_perm("bids.continue_bid", earlier):
        raise ApplicationError("Only members of the lead council can continue this project")
    next_phase = NEXT_PHASE.get(earlier.phase)
    if earlier.state != BidState.AWARDED or next_phase is None:
        raise ApplicationError("Only a funded discovery or alpha can be continued into its next phase")
    if not funding_round.phases.filter(phase=next_phase).exists():
        raise ApplicationError(f"{funding_round.name} does not fund {Phase(next_phase).label.lower()} projects")
    live = earlier.continuations.exclude(state__in=[BidState.WITHDRAWN, BidState.INELIGIBLE, BidState.NOT_FUNDED])
    current = live.order_by("pk").first()
    if current is not None:
        raise ApplicationError(f"This project is already continued in {current.reference}")
    outputs = (
        f"This {Phase(next_phase).label.lower()} builds on {earlier.reference}, the funded "
        f"{earlier.get_phase_display().lower()} of the same project ({earlier.funding_round.name})."
    )
    if earlier.outputs_and_reuse.strip():
        outputs += f" What it produced: {earlier.outputs_and_reuse.strip()}"
    with transaction.atomic():
        bid = bid_create(funding_round=funding_round, lead_council=earlier.lead_council, by=by)
        bid.title = earlier.title
        bid.summary = earlier.summary
        bid.problem = earlier.problem
        bid.user_needs = earlier.user_needs
        bid.outputs_and_reuse = outputs
        bid.phase = next_phase
        bid.continues = earlier
        fields = ["title", "summary", "problem", "user_needs", "outputs_and_reuse", "phase", "continues"]
        bid.save(update_fields=[*fields, "updated_at"])
        bid_content_changed.send(sender=Bid, bid=bid, fields=fields)
        for partner in earlier.partners.filter(status=PartnerStatus.CONFIRMED).select_related("council"):
            if partner.council.is_signatory and partner.council_id != bid.lead_council_id:
                partner_invite(bid=bid, council=partner.council, by=by)
    return bid


def cost_line_add(
    *, bid: Bid, by: User, payer: str, description: str, amount: Decimal, payer_council: Council | None = None
) -> CostLine:
    _require_editable(bid, by)
    if payer == Payer.PARTNER and payer_council is None:
        raise ApplicationError("Select which partner council pays this cost")
    line = CostLine(
        bid=bid,
        payer=payer,
        description=description,
        amount=_amount(amount),
        payer_council=payer_council if payer == Payer.PARTNER else None,
    )
    try:
        line.full_clean()
    except ValidationError as error:
        raise ApplicationError.from_validation_error(error) from error
    line.save()
    return line


# --- Transitions ----------------------------------------------------------------------------------------


def bid_submit(*, bid: Bid, by: User) -> Bid:
    """Submit a draft. A refusal lists every unmet rule and changes nothing."""
    BID_MACHINE.check(bid, "submit", by)
    with transaction.atomic():
        # The lead council's row is locked so two of its bids submitted at once cannot both pass the lead limit.
        Council.objects.select_for_update().filter(pk=bid.lead_council_id).first()
        problems = bid_submission_problems(bid=bid)
        if problems:
            raise ApplicationError("This bid cannot be submitted yet", problems=problems)
        BID_MACHINE.run(bid, "submit", by=by)
        snapshot = bid_snapshot(bid=bid)
        stamp = bid.submitted_at.timestamp()
        notify(
            event=Event.BID_SUBMITTED,
            recipients=bid_lead_members(bid=bid),
            context={**snapshot, "audience": "lead"},
            key=f"{Event.BID_SUBMITTED}:{bid.pk}:{stamp}",
        )
        notify(
            event=Event.BID_SUBMITTED,
            recipients=bid_partner_members(bid=bid),
            context={**snapshot, "audience": "partner"},
            key=f"{Event.BID_SUBMITTED}:{bid.pk}:{stamp}",
        )
        notify(
            event=Event.BID_SUBMITTED,
            recipients=programme_staff(),
            context={**snapshot, "audience": "staff"},
            key=f"{Event.BID_SUBMITTED}:{bid.pk}:{stamp}",
        )
    return bid


def bid_withdraw(*, bid: Bid, by: User, reason: str) -> Bid:
    reason = required_text(reason, "Enter why you are withdrawing this bid")
    with transaction.atomic():
        was_submitted = bid.state == BidState.IN_REVIEW
        BID_MACHINE.run(bid, "withdraw", by=by, note=reason, reason=reason)
        key = f"{Event.BID_WITHDRAWN}:{bid.pk}"
        context = {**bid_snapshot(bid=bid), "reason": reason}
        notify(event=Event.BID_WITHDRAWN, recipients=bid_partner_members(bid=bid), context=context, key=key)
        if was_submitted:
            notify(event=Event.BID_WITHDRAWN, recipients=programme_staff(), context=context, key=key)
    return bid


def bid_return_for_changes(*, bid: Bid, by: User, message: str) -> Bid:
    message = required_text(message, "Enter what the council needs to change")
    with transaction.atomic():
        BID_MACHINE.run(bid, "return_for_changes", by=by, note=message, message=message)
        notify(
            event=Event.BID_RETURNED,
            recipients=bid_lead_members(bid=bid),
            context={**bid_snapshot(bid=bid), "message": message},
            key=f"{Event.BID_RETURNED}:{bid.pk}:{bid.history.count()}",
        )
    return bid


def bid_mark_ineligible(*, bid: Bid, by: User, reason: str) -> Bid:
    reason = required_text(reason, "Enter why the bid is ineligible")
    with transaction.atomic():
        BID_MACHINE.run(bid, "mark_ineligible", by=by, note=reason, reason=reason)
        notify(
            event=Event.BID_INELIGIBLE,
            recipients=bid_lead_members(bid=bid) + bid_partner_members(bid=bid),
            context={**bid_snapshot(bid=bid), "reason": reason},
            key=f"{Event.BID_INELIGIBLE}:{bid.pk}",
        )
    return bid


def bid_mark_scored(*, bid: Bid, by: User | None = None) -> Bid:
    """Move a bid to `scored` once its final score is stored. `by=None` means the system did it."""
    with transaction.atomic():
        BID_MACHINE.run(bid, "mark_scored", by=by)
        notify(
            event=Event.BID_SCORED,
            recipients=programme_staff(),
            context={**bid_snapshot(bid=bid), "final_score": str(bid.final_score)},
            key=f"{Event.BID_SCORED}:{bid.pk}",
        )
    return bid


def bid_award(*, bid: Bid, by: User, amount: Decimal, conditions: str = "") -> Bid:
    """Award a scored bid. The round row is locked so concurrent awards can never overspend the budget."""
    BID_MACHINE.check(bid, "award", by)  # the wrong state or person is told so before any money rule
    conditions = (conditions or "").strip()
    amount = _amount(amount, invalid="Enter the amount to award as a number, like 75000 or 75000.50")
    if amount <= 0:
        raise _amount_refused("The amount awarded must be more than £0")
    if bid.amount_requested is not None and amount > bid.amount_requested:
        requested = money(bid.amount_requested, pence=True)
        raise _amount_refused(f"The amount awarded cannot be more than the {requested} requested")
    with transaction.atomic():
        funding_round = FundingRound.objects.select_for_update().get(pk=bid.funding_round_id)
        remaining = round_remaining_budget(funding_round=funding_round)
        if amount > remaining:
            raise _amount_refused(
                f"Awarding {money(amount, pence=True)} would overspend {funding_round.name}: "
                f"{money(remaining, pence=True)} of the budget is left"
            )
        BID_MACHINE.run(bid, "award", by=by, note=conditions, amount=amount, conditions=conditions)
        notify(
            event=Event.BID_AWARDED,
            recipients=bid_lead_members(bid=bid) + bid_partner_members(bid=bid),
            context={**bid_snapshot(bid=bid), "amount_awarded": str(amount), "conditions": conditions},
            key=f"{Event.BID_AWARDED}:{bid.pk}",
        )
    return bid


def bid_decline(*, bid: Bid, by: User, feedback: str) -> Bid:
    feedback = required_text(feedback, "Enter feedback for the councils explaining why the bid is not funded")
    with transaction.atomic():
        BID_MACHINE.run(bid, "decline", by=by, note=feedback, feedback=feedback)
        notify(
            event=Event.BID_NOT_FUNDED,
            recipients=bid_lead_members(bid=bid) + bid_partner_members(bid=bid),
            context={**bid_snapshot(bid=bid), "feedback": feedback},
            key=f"{Event.BID_NOT_FUNDED}:{bid.pk}",
        )
    return bid


# --- Drafting: sections, partners, costs and documents --------------------------------------------------
# The drafting pages' writes. Each re-checks that the user may edit the draft, so a page opened before a
# submit, or by someone who has since left the council, cannot change it.


@dataclass
class EditConflictError(ApplicationError):
    """A colleague saved the section since the page was opened: nothing was saved."""

    current: dict = dataclass_field(default_factory=dict)
    version: int = 0


EDIT_CONFLICT_MESSAGE = (
    "A colleague saved this section after you opened it, so your changes have not been saved. "
    "Their answers are shown below. Your answers are still in the form: check them and save again."
)


def _word_limit_problems(values: dict[str, object]) -> list[Problem]:
    problems = []
    for name, value in values.items():
        limit = ANSWER_WORD_LIMITS.get(name)
        if limit is not None and isinstance(value, str) and word_count(value) > limit:
            label = Bid._meta.get_field(name).verbose_name
            problems.append(
                Problem(
                    f"The {label} must be {limit} words or fewer; it has {word_count(value)}",
                    field=name,
                )
            )
    return problems


def bid_section_update(*, bid: Bid, by: User, section: str, version: int, values: dict[str, object]) -> Bid:
    """Save one task-list section of a draft, unless a colleague saved that section since `version`.

    Partial answers are fine (a draft is saved as it is written); the submission rules decide completeness.
    Refusals (bad values, word limits, a conflict) change nothing, and so does a save that changes no answer
    (an empty section saved stays not started).
    """
    section_fields = BID_SECTIONS[section][1]
    unknown = set(values) - set(section_fields)
    if unknown:
        raise ApplicationError(f"The {section} section does not include {', '.join(sorted(unknown))}")
    _require_editable(bid, by)
    if values.get("amount_requested") is not None:
        values = {**values, "amount_requested": _amount(values["amount_requested"])}
    problems = _word_limit_problems(values)
    start_message = planned_start_message(bid.funding_round, values.get("planned_start"))
    if start_message:
        problems.append(Problem(start_message, field="planned_start"))
    if problems:
        raise ApplicationError(problems[0].message, problems=problems)
    with transaction.atomic():
        # The row lock makes check-then-save atomic: two saves of the same version cannot both win.
        locked = Bid.objects.select_for_update().select_related("funding_round").get(pk=bid.pk)
        _require_editable(locked, by)
        current_version = int(locked.section_versions.get(section, 0))
        if version != current_version:
            raise EditConflictError(
                EDIT_CONFLICT_MESSAGE,
                current={name: getattr(locked, name) for name in section_fields},
                version=current_version,
            )
        if all(getattr(locked, name) == value for name, value in values.items()):
            return bid
        for name, value in values.items():
            setattr(locked, name, value)
        try:
            locked.full_clean(exclude=["funding_round", "lead_council", "created_by", "number", "reference", "state"])
        except ValidationError as error:
            raise ApplicationError.from_validation_error(error) from error
        locked.section_versions = {**locked.section_versions, section: current_version + 1}
        locked.save(update_fields=[*values, "section_versions", "updated_at"])
        bid_content_changed.send(sender=Bid, bid=locked, fields=list(values))
    for name in [*values, "section_versions", "updated_at"]:
        setattr(bid, name, getattr(locked, name))
    return bid


def partner_remove(*, partner: BidPartner, by: User) -> None:
    """Take an invited, confirmed or declined council off a draft."""
    _require_editable(partner.bid, by)
    with transaction.atomic():
        partner.delete()


def _cost_line_payer_council(bid: Bid, payer: str, payer_council: Council | None) -> Council | None:
    if payer != Payer.PARTNER:
        return None
    if payer_council is None:
        raise ApplicationError("Select which partner council pays this cost")
    if not bid.partners.filter(council=payer_council).exclude(status=PartnerStatus.DECLINED).exists():
        raise ApplicationError(f"{payer_council} is not a partner on this bid")
    return payer_council


def cost_line_change(
    *, line: CostLine, by: User, payer: str, description: str, amount: Decimal, payer_council: Council | None = None
) -> CostLine:
    _require_editable(line.bid, by)
    line.payer = payer
    line.payer_council = _cost_line_payer_council(line.bid, payer, payer_council)
    line.description = description
    line.amount = _amount(amount)
    try:
        line.full_clean()
    except ValidationError as error:
        raise ApplicationError.from_validation_error(error) from error
    with transaction.atomic():
        line.save()
    return line


def cost_line_remove(*, line: CostLine, by: User) -> None:
    _require_editable(line.bid, by)
    with transaction.atomic():
        line.delete()


def document_upload(*, bid: Bid, by: User, upload: UploadedFile) -> BidDocument:
    """Store a supporting document after checking what its content really is. A refusal stores nothing."""
    _require_editable(bid, by)
    checked = document_check(name=upload.name or "", size=upload.size or 0, stream=upload)
    kind = checked.kind
    stored: list[str] = []
    try:
        with transaction.atomic():
            # Lock the bid so two uploads at once cannot both take the last place.
            Bid.objects.select_for_update().filter(pk=bid.pk).first()
            if BidDocument.objects.filter(bid=bid).count() >= MAX_DOCUMENTS_PER_BID:
                raise ApplicationError(
                    f"A bid can have at most {MAX_DOCUMENTS_PER_BID} supporting documents. Delete one to add another"
                )
            document = BidDocument(
                bid=bid,
                original_name=checked.name,
                content_type=kind.content_type,
                has_formulas=checked.has_formulas,
                size=upload.size,
                uploaded_by=by,
            )
            # A generated name: nothing of the user's file name reaches the file system.
            upload.seek(0)
            document.file.save(f"{uuid.uuid4().hex}.{kind.extension}", upload, save=False)
            stored.append(document.file.name)
            document.save()
    except Exception:
        # Nothing is stored when the row is not: remove the file written before the failure.
        for name in stored:
            default_storage.delete(name)
        raise
    return document


def document_delete(*, document: BidDocument, by: User) -> None:
    _require_editable(document.bid, by)
    name = document.file.name
    with transaction.atomic():
        document.delete()
        transaction.on_commit(lambda: default_storage.delete(name))

"""Every write to rounds and bids. Each service owns its transaction, permission check and history.

Transitions run through `BID_MACHINE` (core's one transition runner: state, `rules` permission, the
conditions' reasons, `save()` and the `BidTransition` row) inside the service's `transaction.atomic()`, with
the notifications' outbox rows written in the same transaction. Reads (recipients, budgets, the submission
rules that look across the round) come from `bids.selectors`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from bids.choices import (
    NEXT_PHASE,
    BidState,
    ClarificationStatus,
    CriterionCode,
    PartnerStatus,
    Payer,
    Phase,
    RoundState,
    SiftDecision,
)
from bids.conditions import can_be_continued, planned_start_message, round_is_deciding
from bids.documents import document_check
from bids.machines import BID_MACHINE, ROUND_MACHINE, record_bid_history
from bids.models import (
    ANSWER_WORD_LIMITS,
    BID_SECTIONS,
    MAX_DOCUMENTS_PER_BID,
    Bid,
    BidDocument,
    BidPartner,
    BidSift,
    Clarification,
    CostLine,
    Criterion,
    FundingRound,
    RoundPhase,
    RoundTransition,
)
from bids.rules import is_assigned_to_assess_bid
from bids.selectors import (
    ROUND_SETTINGS,
    bid_declared_assessors,
    bid_lead_members,
    bid_partner_members,
    bid_sift_checklist,
    bid_snapshot,
    bid_submission_problems,
    cost_line_now,
    no_longer_a_draft,
    round_awarded_total,
    round_draft_leads,
    round_locked_settings,
    round_opening_recipients,
    round_remaining_budget,
    round_settings_now,
)
from bids.signals import bid_content_changed, council_joined_bid, round_decisions_published
from core.editing import conflict_message, require_unchanged
from core.exceptions import ApplicationError, EditConflictError, Problem
from core.formatting import govuk_date, govuk_datetime, govuk_deadline, money, plural, with_article, word_count
from core.money import MoneyError, as_amount
from core.transitions import NO_PERMISSION, required_text
from councils.models import Council, User
from councils.selectors import council_members, programme_staff, user_council_ids
from notifications.choices import Event
from notifications.services import notify

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


# --- Rounds: set-up --------------------------------------------------------------------------------------

CriterionRow = tuple[str, str, Decimal] | tuple[str, str, Decimal, str]  # (code, name, weight[, guidance])

# The settings entered in a field of the round form itself (phases and criteria have rows of their own), for
# problems found by the model's own validation.
ROUND_FIELDS = tuple(name for name in ROUND_SETTINGS if name not in ("phases", "criteria"))


def _criteria_rows(criteria: Iterable[CriterionRow] | None) -> list[tuple[str, str, Decimal, str]]:
    if criteria is None:
        return list(DEFAULT_CRITERIA)
    return [(row[0], (row[1] or "").strip(), row[2], (row[3] if len(row) > 3 else "").strip()) for row in criteria]


def phase_cap_missing(phase: str) -> str:
    return f"Enter the most {with_article(Phase(phase).label.lower())} bid may ask for"


def round_phase_problems(phase_caps: Mapping[str, Decimal | None]) -> list[Problem]:
    """The rules of a round's phases: at least one, each a phase the fund knows, each with a cap above £0. Used by
    the set-up pages and by Django admin alike."""
    problems: list[Problem] = []
    unknown = set(phase_caps) - set(Phase.values)
    if unknown or not phase_caps:
        problems.append(
            Problem("Choose at least one of the phases discovery, alpha or beta, each with a cap", "phases")
        )
    for phase, cap in phase_caps.items():
        if phase in Phase.values and (cap is None or cap <= 0):
            problems.append(
                Problem(f"Enter the most {with_article(Phase(phase).label.lower())} bid may ask for", f"cap_{phase}")
            )
    return problems


def round_criteria_problems(criteria: list[tuple[str, str, Decimal | None, str]]) -> list[Problem]:
    """The rules of a round's criteria (code, name, weight, guidance): at least one, each named differently, each
    of a kind the fund assesses, each weighted above 0%, the weights totalling 100%. Used by the set-up pages and
    by Django admin alike."""
    problems: list[Problem] = []
    if not criteria:
        problems.append(Problem("Add at least one criterion", "criteria"))
    names = [name for _code, name, _weight, _guidance in criteria]
    if any(not name for name in names):
        problems.append(Problem("Enter a name for every criterion", "criteria"))
    if len({name.lower() for name in names}) != len(names):
        problems.append(Problem("Give each criterion a different name", "criteria"))
    codes = [code for code, *_rest in criteria]
    unknown_codes = set(codes) - set(CriterionCode.values)
    if unknown_codes:
        problems.append(Problem("Choose what each criterion assesses from the list", "criteria"))
    for code in CriterionCode.values:
        # The ranking breaks ties on the value-for-money criterion: each kind but "other" is assessed once.
        if code != CriterionCode.OTHER and codes.count(code) > 1:
            what = CriterionCode(code).label.lower()
            problems.append(Problem(f"Only one criterion can assess {what}", "criteria"))
    if any(weight is None or weight <= 0 for _code, _name, weight, _guidance in criteria):
        problems.append(Problem("Give every criterion a weight of more than 0%", "criteria"))
    elif criteria:
        total = sum((weight for _code, _name, weight, _guidance in criteria), Decimal("0"))
        if total != Decimal("100"):
            problems.append(Problem(f"Criteria weights must total 100%; they total {total}%", "criteria"))
    return problems


def round_open_cap_problems(funding_round: FundingRound, phase_caps: Mapping[str, Decimal | None]) -> list[Problem]:
    """While a round is open councils are writing bids to its phases: none may be removed or its cap lowered
    (raising a cap or adding a phase is fine)."""
    if funding_round.pk is None or funding_round.state != RoundState.OPEN:
        return []
    problems = []
    for row in funding_round.phases.all():
        new_cap = phase_caps.get(row.phase)
        if new_cap is None or new_cap < row.cap:
            problems.append(
                Problem(
                    f"{funding_round.name} is open, so the {Phase(row.phase).label.lower()} phase cannot be removed "
                    f"or its cap lowered below {money(row.cap)}: councils are writing bids to it. You can raise a "
                    "cap or add a phase",
                    field=f"cap_{row.phase}",
                )
            )
    return problems


def round_budget_problems(funding_round: FundingRound, budget: Decimal) -> list[Problem]:
    """A round's budget may fall no lower than what it has already awarded."""
    awarded = round_awarded_total(funding_round=funding_round) if funding_round.pk else Decimal("0")
    if budget < awarded:
        return [Problem(f"The budget cannot be less than the {money(awarded, pence=True)} already awarded", "budget")]
    return []


def _setup_problems(
    funding_round: FundingRound,
    phase_caps: Mapping[str, Decimal],
    criteria: list[tuple[str, str, Decimal, str]],
) -> list[Problem]:
    """Every rule a round's settings break: the model's own (dates in order, codes, minimums), then phases and
    criteria. All at once, so the set-up page's error summary lists them together."""
    problems: list[Problem] = []
    try:
        funding_round.full_clean()
    except ValidationError as error:
        taken = Problem(f"A round with the code {funding_round.code} already exists: choose another", field="code")
        for name, errors in error.error_dict.items():
            for each in errors:
                if (name == "code" and each.code == "unique") or each.code == "round_code_taken":
                    # The same code, or the same in other letters' case (R8, r8): said once, on the code.
                    if taken not in problems:
                        problems.append(taken)
                    continue
                message = each.message % each.params if each.params else each.message
                problems.append(Problem(str(message), field=name if name in ROUND_FIELDS else ""))
    same_name = FundingRound.objects.filter(name__iexact=funding_round.name).exclude(pk=funding_round.pk)
    if funding_round.name and same_name.exists():
        # Rounds are chosen by name in every filter: two of one name could not be told apart.
        problems.append(Problem(f"A round called {funding_round.name} already exists: choose another name", "name"))
    problems += round_phase_problems(phase_caps)
    problems += round_criteria_problems(criteria)
    return problems


def _refuse(problems: list[Problem]) -> None:
    if problems:
        raise ApplicationError(problems[0].message, problems=problems)


def _save_phases_and_criteria(
    funding_round: FundingRound,
    phase_caps: Mapping[str, Decimal] | None,
    criteria: list[tuple[str, str, Decimal, str]] | None,
) -> None:
    if phase_caps is not None:
        funding_round.phases.exclude(phase__in=list(phase_caps)).delete()
        for phase, cap in phase_caps.items():
            RoundPhase.objects.update_or_create(funding_round=funding_round, phase=phase, defaults={"cap": cap})
    if criteria is not None:
        funding_round.criteria.all().delete()
        Criterion.objects.bulk_create(
            Criterion(
                funding_round=funding_round, code=code_, name=name_, weight=weight, guidance=guidance, position=position
            )
            for position, (code_, name_, weight, guidance) in enumerate(criteria)
        )


def round_create(
    *,
    name: str,
    code: str,
    opens_at: datetime,
    closes_at: datetime,
    budget: Decimal,
    phase_caps: dict[str, Decimal],
    assessment_deadline: datetime | None = None,
    criteria: Iterable[CriterionRow] | None = None,
    by: User | None = None,
    **settings: object,
) -> FundingRound:
    """Create an upcoming round with its phases and criteria (defaults: the fund's three criteria, equal
    weights). Beat opens it at `opens_at`, so its closing time must be in the future. `by=None` is set-up
    outside the pages (demo data, the shell)."""
    if by is not None and not by.has_perm("bids.manage_round"):
        raise ApplicationError(NO_PERMISSION)
    funding_round = FundingRound(
        name=(name or "").strip(),
        code=(code or "").strip(),
        opens_at=opens_at,
        closes_at=closes_at,
        budget=budget,
        assessment_deadline=assessment_deadline,
        **settings,
    )
    criteria_rows = _criteria_rows(criteria)
    problems = _setup_problems(funding_round, phase_caps, criteria_rows)
    if closes_at and closes_at <= timezone.now():
        problems.append(Problem("The closing time must be in the future", "closes_at"))
    _refuse(problems)
    with transaction.atomic():
        funding_round.save()
        _save_phases_and_criteria(funding_round, phase_caps, criteria_rows)
        RoundTransition.record(funding_round, "create", "", by, "")
    return funding_round


def round_update(
    *,
    funding_round: FundingRound,
    by: User,
    phase_caps: Mapping[str, Decimal] | None = None,
    criteria: Iterable[CriterionRow] | None = None,
    seen: str | None = None,
    **changes: object,
) -> FundingRound:
    """Change a round's settings, within what its state allows (`bids.selectors.round_locked_settings`: the
    code, opening time and bid rules are fixed once it opens; the closing time and phases once it closes; the
    criteria and scoring once assessment starts; everything once decisions are published). The closing time
    may move while the round is open but not into the past; caps may rise while it is open but not fall; the
    budget may rise, or fall no lower than what is already awarded. A refusal changes nothing. `seen` is the
    fingerprint of the settings the page showed: a save made since (in another tab, by a colleague) is never
    undone without a word (`core.editing`)."""
    if not by.has_perm("bids.manage_round"):
        raise ApplicationError(NO_PERMISSION)
    unknown = set(changes) - set(ROUND_FIELDS)
    if unknown:
        raise ApplicationError(f"A round has no setting {', '.join(sorted(unknown))}")
    with transaction.atomic():
        locked = FundingRound.objects.select_for_update().get(pk=funding_round.pk)
        require_unchanged(seen=seen, current=round_settings_now(funding_round=locked), message=ROUND_CONFLICT)
        cannot_change = round_locked_settings(funding_round=locked)
        current_caps = {row.phase: row.cap for row in locked.phases.all()}
        current_criteria = [(c.code, c.name, c.weight, c.guidance) for c in locked.criteria.all()]
        new_criteria = _criteria_rows(criteria) if criteria is not None else None
        problems: list[Problem] = []
        changed = [name for name, value in changes.items() if getattr(locked, name) != value]
        if phase_caps is not None and dict(phase_caps) != current_caps:
            changed.append("phases")
        if new_criteria is not None and new_criteria != current_criteria:
            changed.append("criteria")
        for name in changed:
            if name in cannot_change:
                problems.append(Problem(cannot_change[name], field=name))
        for name in changed:
            if name in ROUND_FIELDS and name not in cannot_change:
                setattr(locked, name, changes[name])
        caps = dict(phase_caps) if "phases" in changed and "phases" not in cannot_change else current_caps
        rows = new_criteria if "criteria" in changed and "criteria" not in cannot_change else current_criteria
        if not problems:
            problems = _setup_problems(locked, caps, rows)
        if "closes_at" in changed and "closes_at" not in cannot_change and locked.closes_at <= timezone.now():
            problems.append(Problem("The closing time must be in the future", "closes_at"))
        if "phases" in changed:
            problems += round_open_cap_problems(locked, caps)
        if "budget" in changed:
            problems += round_budget_problems(locked, locked.budget)
        _refuse(problems)
        if not changed:
            return locked
        locked.save()
        _save_phases_and_criteria(
            locked, caps if "phases" in changed else None, rows if "criteria" in changed else None
        )
        labels = [ROUND_SETTING_LABELS.get(name, name) for name in changed]
        RoundTransition.record(locked, "update", locked.state, by, f"Changed: {', '.join(labels)}")
    return locked


ROUND_CONFLICT = conflict_message("This round’s settings", plural=True)

ROUND_SETTING_LABELS = {
    "name": "name",
    "code": "code",
    "opens_at": "opening time",
    "closes_at": "closing time",
    "assessment_deadline": "assessment deadline",
    "budget": "budget",
    "min_partner_councils": "minimum partner councils",
    "max_bids_led_per_council": "bids a council may lead",
    "assessors_per_bid": "assessors per bid",
    "divergence_threshold": "divergence threshold",
    "phases": "phases and caps",
    "criteria": "criteria",
}


# --- Rounds: the state machine --------------------------------------------------------------------------


def _path(name: str, **kwargs: object) -> str:
    """A page of an app above bids (staff's round page), when that app is installed."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return ""


def _lock_round(funding_round: FundingRound) -> FundingRound:
    return FundingRound.objects.select_for_update().get(pk=funding_round.pk)


def _round_snapshot(funding_round: FundingRound) -> dict:
    return {
        "round": funding_round.name,
        "round_code": funding_round.code,
        "closes_at": funding_round.closes_at.isoformat(),
        "closes_at_display": govuk_deadline(funding_round.closes_at),
    }


def round_open(*, funding_round: FundingRound, by: User | None = None) -> FundingRound:
    """Open an upcoming round at its opening time (beat does this; `by=None` is the service itself) and tell
    the members of signatory councils who asked to hear."""
    with transaction.atomic():
        locked = _lock_round(funding_round)
        ROUND_MACHINE.run(locked, "open", by=by)
        notify(
            event=Event.ROUND_OPENED,
            recipients=round_opening_recipients(),
            context={**_round_snapshot(locked), "start_path": reverse("bids:start")},
            key=f"{Event.ROUND_OPENED}:{locked.pk}",
        )
    return locked


def _tell_round_closed(funding_round: FundingRound) -> None:
    """Staff hear the round has closed; the lead council of each bid still in draft, that it can no longer be
    submitted."""
    counts = dict.fromkeys(BidState.values, 0)
    for state in funding_round.bids.values_list("state", flat=True):
        counts[state] += 1
    context = {
        **_round_snapshot(funding_round),
        "closed_at_display": govuk_datetime(funding_round.closed_at),
        "close_reason": funding_round.close_reason,
        "submitted": counts[BidState.IN_REVIEW],
        "drafts": counts[BidState.DRAFT],
    }
    notify(
        event=Event.ROUND_CLOSED,
        recipients=programme_staff(),
        context={**context, "audience": "staff", "round_path": _path("pipeline:round", pk=funding_round.pk)},
        key=f"{Event.ROUND_CLOSED}:{funding_round.pk}",
    )
    for bid, members in round_draft_leads(funding_round=funding_round):
        notify(
            event=Event.ROUND_CLOSED,
            recipients=members,
            context={**context, **bid_snapshot(bid=bid), "audience": "lead"},
            key=f"{Event.ROUND_CLOSED}:{funding_round.pk}:{bid.pk}",
        )


def round_close(*, funding_round: FundingRound, by: User | None = None) -> FundingRound:
    """Close a round at its closing time (beat does this; `by=None` is the service itself)."""
    with transaction.atomic():
        locked = _lock_round(funding_round)
        ROUND_MACHINE.run(locked, "close", by=by)
        _tell_round_closed(locked)
    return locked


def round_close_early(*, funding_round: FundingRound, by: User, reason: str) -> FundingRound:
    """Staff close an open round before its closing time, saying why (staff and draft bids' leads are told)."""
    reason = required_text(reason, "Enter why you are closing the round early", "reason")
    with transaction.atomic():
        locked = _lock_round(funding_round)
        ROUND_MACHINE.run(locked, "close_early", by=by, note=reason, reason=reason)
        _tell_round_closed(locked)
    return locked


def rounds_open_and_close_due() -> tuple[int, int]:
    """Open the upcoming rounds whose opening time has come and close the rounds whose closing time has passed
    (beat runs it every minute). Each round is locked and its state checked again, so two runs at once, or one
    run twice, change each round once. Returns (opened, closed)."""
    now = timezone.now()
    opened = closed = 0
    due_to_open = FundingRound.objects.filter(state=RoundState.UPCOMING, opens_at__lte=now, closes_at__gt=now)
    for funding_round in due_to_open.order_by("opens_at", "pk"):
        try:
            round_open(funding_round=funding_round)
        except ApplicationError:
            continue  # opened (or changed) by another run meanwhile
        opened += 1
    due_to_close = FundingRound.objects.filter(state__in=[RoundState.UPCOMING, RoundState.OPEN], closes_at__lte=now)
    for funding_round in due_to_close.order_by("closes_at", "pk"):
        try:
            round_close(funding_round=funding_round)
        except ApplicationError:
            continue
        closed += 1
    return opened, closed


def round_start_assessing(*, funding_round: FundingRound, by: User) -> FundingRound:
    """Move a closed round to assessment once every submitted bid has been sifted."""
    with transaction.atomic():
        locked = _lock_round(funding_round)
        ROUND_MACHINE.run(locked, "start_assessing", by=by)
    return locked


def round_start_deciding(*, funding_round: FundingRound, by: User) -> FundingRound:
    """Move the round to decisions once every bid is scored, ineligible or withdrawn."""
    with transaction.atomic():
        locked = _lock_round(funding_round)
        ROUND_MACHINE.run(locked, "start_deciding", by=by)
    return locked


def round_publish_decisions(*, funding_round: FundingRound, by: User) -> FundingRound:
    """Publish the round's decisions in one step: every awarded and not funded bid's councils are told at once
    (through the outbox), the round's awards appear on the public pages, in the 360Giving package and the API,
    and who published and when is recorded. Refused while a scored bid has no decision.

    `bids.signals.round_decisions_published` is sent inside the transaction, after the messages: an app above
    bids (projects and offers) hooks what follows an award onto it, and its failure rolls everything back."""
    with transaction.atomic():
        locked = _lock_round(funding_round)
        ROUND_MACHINE.run(locked, "publish_decisions", by=by, publisher=by)
        decided = locked.bids.select_related("funding_round", "lead_council").order_by("number")
        awarded = list(decided.filter(state=BidState.AWARDED))
        not_funded = list(decided.filter(state=BidState.NOT_FUNDED))
        for bid in awarded:
            notify(
                event=Event.BID_AWARDED,
                recipients=bid_lead_members(bid=bid) + bid_partner_members(bid=bid),
                context={
                    **bid_snapshot(bid=bid),
                    "amount_awarded": str(bid.award_amount),
                    "conditions": bid.award_conditions,
                },
                key=f"{Event.BID_AWARDED}:{bid.pk}",
            )
        for bid in not_funded:
            notify(
                event=Event.BID_NOT_FUNDED,
                recipients=bid_lead_members(bid=bid) + bid_partner_members(bid=bid),
                context={**bid_snapshot(bid=bid), "feedback": bid.status_note},
                key=f"{Event.BID_NOT_FUNDED}:{bid.pk}",
            )
        round_decisions_published.send(
            sender=FundingRound, funding_round=locked, by=by, awarded=awarded, not_funded=not_funded
        )
    return locked


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
            reference=Bid.reference_for(locked.code, number),
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
        # Every amount a bid holds (requested, a cost line, an award) is more than £0: a minus sign is refused so.
        words = {"invalid": invalid, "positive": "Enter an amount more than £0"}
        raise _amount_refused(words.get(error.code, str(error))) from error


def _amount_refused(message: str) -> ApplicationError:
    """A refusal of an amount, shown on the form's amount field."""
    return ApplicationError(message, problems=[Problem(message, field="amount")])


def _require_editable(bid: Bid, by: User) -> None:
    if not by.has_perm("bids.edit_bid", bid):
        raise ApplicationError("Only members of the lead council can change this bid")
    if bid.state != BidState.DRAFT:
        raise ApplicationError(f"{no_longer_a_draft(bid)}, so it can no longer be changed")


def _set_content(bid: Bid, values: dict[str, object]) -> None:
    """Put a council's answers on the bid and check them by the model's rules (never the fields it does not
    write: the round, the lead, the reference, the state)."""
    for name, value in values.items():
        setattr(bid, name, value)
    try:
        bid.full_clean(exclude=["funding_round", "lead_council", "created_by", "number", "reference", "state"])
    except ValidationError as error:
        raise ApplicationError.from_validation_error(error) from error


def bid_update(*, bid: Bid, by: User, **fields: object) -> Bid:
    """Change content fields of a draft bid (the drafting pages add per-section conflict checks)."""
    _require_editable(bid, by)
    _set_content(bid, fields)
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
    if confirm and not partner.council.is_signatory:
        raise ApplicationError(
            f"{partner.council} has not signed the Local Digital Declaration, so it cannot be a partner"
        )
    with transaction.atomic():
        # As they are now, under the bid row's lock (submitting updates that row, so it waits), not as read.
        bid = Bid.objects.select_for_update().get(pk=partner.bid_id)
        current = BidPartner.objects.filter(pk=partner.pk).values_list("status", flat=True).first()
        if bid.state != BidState.DRAFT:
            raise ApplicationError("This bid has been submitted, so the invitation can no longer be answered")
        if current is None:
            raise ApplicationError(f"The invitation to {partner.council} has been withdrawn")
        if current != PartnerStatus.INVITED:
            raise ApplicationError(f"{partner.council} has already answered this invitation")
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
    if not can_be_continued(earlier):
        raise ApplicationError("Only a funded discovery or alpha can be continued into its next phase")
    next_phase = NEXT_PHASE[earlier.phase]
    if not funding_round.phases.filter(phase=next_phase).exists():
        raise ApplicationError(f"{funding_round.name} does not fund {Phase(next_phase).label.lower()} projects")
    outputs = (
        f"This {Phase(next_phase).label.lower()} builds on {earlier.reference}, the funded "
        f"{earlier.get_phase_display().lower()} of the same project ({earlier.funding_round.name})."
    )
    if earlier.outputs_and_reuse.strip():
        outputs += f" What it produced: {earlier.outputs_and_reuse.strip()}"
    with transaction.atomic():
        # The earlier bid's row is locked, so two clicks at once (or two colleagues) start one draft between them.
        Bid.objects.select_for_update().filter(pk=earlier.pk).first()
        live = earlier.continuations.exclude(state__in=[BidState.WITHDRAWN, BidState.INELIGIBLE, BidState.NOT_FUNDED])
        current = live.order_by("pk").first()
        if current is not None:
            raise ApplicationError(f"This project is already continued in {current.reference}")
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
        BID_MACHINE.run(bid, "withdraw", by=by, note=reason, reason=reason)
        key = f"{Event.BID_WITHDRAWN}:{bid.pk}"
        context = {**bid_snapshot(bid=bid), "reason": reason}
        # Partner members and programme staff hear of every withdrawal, a draft's included.
        recipients = [*bid_partner_members(bid=bid), *programme_staff()]
        notify(event=Event.BID_WITHDRAWN, recipients=recipients, context=context, key=key)
    return bid


def bid_return_for_changes(*, bid: Bid, by: User, message: str) -> Bid:
    message = required_text(message, "Enter what the council needs to change")
    with transaction.atomic():
        BID_MACHINE.run(bid, "return_for_changes", by=by, note=message, message=message)
        # The bid will change: it is sifted again when it comes back.
        BidSift.objects.filter(bid=bid).delete()
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


def _require_deciding(bid: Bid, name: str) -> None:
    """Decisions are recorded only while the round is deciding: said before any other rule."""
    if not round_is_deciding(bid):
        raise ApplicationError(f"This bid cannot be {BID_MACHINE.past[name]} yet: {round_is_deciding.refusal(bid)}")


def bid_award(*, bid: Bid, by: User, amount: Decimal, conditions: str = "") -> Bid:
    """Record an award for a scored bid while its round is deciding. Nobody outside the fund is told, and
    nothing is published, until the round's decisions are published (`round_publish_decisions`). The round
    row is locked so concurrent awards can never overspend the budget."""
    BID_MACHINE.check(bid, "award", by)  # the wrong state or person is told so before any money rule
    _require_deciding(bid, "award")
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
    return bid


def bid_decline(*, bid: Bid, by: User, feedback: str) -> Bid:
    """Record that a scored bid is not funded, with feedback the councils get when the round's decisions are
    published."""
    BID_MACHINE.check(bid, "decline", by)
    _require_deciding(bid, "decline")
    feedback = required_text(feedback, "Enter feedback for the councils explaining why the bid is not funded")
    with transaction.atomic():
        BID_MACHINE.run(bid, "decline", by=by, note=feedback, feedback=feedback)
    return bid


def bid_reconsider(*, bid: Bid, by: User, reason: str) -> Bid:
    """Take back an award or a decline while the round is deciding (nobody outside the fund has been told), with
    the reason, kept in the bid's history: the bid is scored again, its award's money back in the budget."""
    BID_MACHINE.check(bid, "reconsider", by)
    _require_deciding(bid, "reconsider")
    reason = required_text(reason, "Enter why the decision is being changed", "reason")
    with transaction.atomic():
        FundingRound.objects.select_for_update().filter(pk=bid.funding_round_id).first()
        BID_MACHINE.run(bid, "reconsider", by=by, note=reason)
    return bid


# --- Drafting: sections, partners, costs and documents --------------------------------------------------
# The drafting pages' writes. Each re-checks that the user may edit the draft, so a page opened before a
# submit, or by someone who has since left the council, cannot change it.


EDIT_CONFLICT_MESSAGE = conflict_message("This section")


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
        _set_content(locked, values)
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


COST_LINE_CONFLICT = conflict_message("This cost line")


def cost_line_change(
    *,
    line: CostLine,
    by: User,
    payer: str,
    description: str,
    amount: Decimal,
    payer_council: Council | None = None,
    seen: str | None = None,
) -> CostLine:
    """Change a draft's cost line. `seen` is the fingerprint of the line the page showed: a colleague's change
    since is never undone without a word, and a line a colleague removed is not brought back (`core.editing`)."""
    _require_editable(line.bid, by)
    changed = CostLine(
        pk=line.pk,
        bid=line.bid,
        payer=payer,
        payer_council=_cost_line_payer_council(line.bid, payer, payer_council),
        description=description,
        amount=_amount(amount),
    )
    try:
        changed.full_clean(validate_unique=False)  # the line's own id is its only unique value
    except ValidationError as error:
        raise ApplicationError.from_validation_error(error) from error
    with transaction.atomic():
        locked = CostLine.objects.select_for_update().filter(pk=line.pk, bid=line.bid).first()
        if locked is None:
            raise ApplicationError("A colleague has removed this cost line, so your changes have not been saved")
        require_unchanged(seen=seen, current=cost_line_now(line=locked), message=COST_LINE_CONFLICT)
        changed.save(force_update=True)
    for name in ("payer", "payer_council", "description", "amount"):
        setattr(line, name, getattr(changed, name))
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


# --- The eligibility sift ---------------------------------------------------------------------------------

# While the sift can be recorded: as bids come in, after the round closes, and (to find one ineligible after
# all) during assessment.
SIFT_ROUND_STATES = (RoundState.OPEN, RoundState.CLOSED, RoundState.ASSESSING)


def bid_sift(*, bid: Bid, by: User, eligible: bool, note: str = "") -> BidSift:
    """Record staff's eligibility decision on a submitted bid, with the checklist's unmet checks at the time.

    Eligible: the bid may be assigned assessors once the round is assessing; if checks are unmet, `note` must
    say why it is eligible all the same. Ineligible: `note` is the reason, sent to the councils through
    `bid_mark_ineligible` (the bid leaves review)."""
    if not by.has_perm("bids.sift_bid"):
        raise ApplicationError(NO_PERMISSION)
    note = (note or "").strip()
    with transaction.atomic():
        locked = (
            Bid.objects.select_for_update(of=("self",))
            .select_related("funding_round", "lead_council")
            .prefetch_related("partners__council", "cost_lines__payer_council", "funding_round__phases")
            .get(pk=bid.pk)
        )
        if locked.state != BidState.IN_REVIEW:
            raise ApplicationError(f"This bid is {locked.get_state_display().lower()}, so it cannot be sifted")
        funding_round = locked.funding_round
        if funding_round.state not in SIFT_ROUND_STATES:
            raise ApplicationError(
                f"Bids are sifted while the round is open, closed or assessing; {funding_round.name} is "
                f"{funding_round.get_state_display().lower()}"
            )
        unmet = [
            {"check": check.label, "problems": [problem.message for problem in check.problems]}
            for check in bid_sift_checklist(bid=locked)
            if not check.met
        ]
        if eligible and unmet and not note:
            message = f"Explain why the bid is eligible although {plural(len(unmet), 'check is', 'checks are')} not met"
            raise ApplicationError(message, problems=[Problem(message, field="note")])
        if not eligible:
            note = required_text(note, "Enter why the bid is ineligible: the councils are told", "note")
        sift, _created = BidSift.objects.update_or_create(
            bid=locked,
            defaults={
                "decision": SiftDecision.ELIGIBLE if eligible else SiftDecision.INELIGIBLE,
                "note": note,
                "unmet_checks": unmet,
                "by": by,
                "at": timezone.now(),
            },
        )
        if eligible:
            record_bid_history(locked, "sift_eligible", locked.state, by, note)
        else:
            bid_mark_ineligible(bid=locked, by=by, reason=note)
    bid.refresh_from_db()
    return sift


# --- Clarification questions ------------------------------------------------------------------------------

# A question is asked of a bid being assessed; its answer is taken until the bid is decided.
CLARIFICATION_BID_STATES = (BidState.IN_REVIEW,)
ANSWERABLE_BID_STATES = (BidState.IN_REVIEW, BidState.SCORED)


def _clarification_context(clarification: Clarification) -> dict:
    return {
        **bid_snapshot(bid=clarification.bid),
        "question": clarification.question,
        "reply_by": clarification.reply_by.isoformat() if clarification.reply_by else "",
        "reply_by_display": govuk_date(clarification.reply_by),
        "answer_path": reverse(
            "bids:clarification", kwargs={"reference": clarification.bid.reference, "pk": clarification.pk}
        ),
    }


def _require_question_bid(bid: Bid) -> None:
    if bid.state not in CLARIFICATION_BID_STATES:
        raise ApplicationError(
            f"This bid is {bid.get_state_display().lower()}: questions are asked about bids in review"
        )


def clarification_propose(*, bid: Bid, by: User, question: str) -> Clarification:
    """An assessor of the bid (who has declared no conflict) proposes a question; staff decide whether to send
    it. Councils never learn who proposed it."""
    if not by.has_perm("bids.propose_clarification", bid):
        raise ApplicationError(NO_PERMISSION)
    _require_question_bid(bid)
    question = required_text(question, "Enter the question you want to ask the bid’s team", "question")
    with transaction.atomic():
        clarification = Clarification.objects.create(
            bid=bid,
            status=ClarificationStatus.PROPOSED,
            question=question,
            proposed_by=by,
            proposed_at=timezone.now(),
        )
        notify(
            event=Event.CLARIFICATION_PROPOSED,
            recipients=programme_staff(),
            context={
                **bid_snapshot(bid=bid),
                "question": question,
                "assessor_name": by.full_name,
            },
            key=f"{Event.CLARIFICATION_PROPOSED}:{clarification.pk}",
        )
    return clarification


# The longest a bid's team may be given to answer a question (a bid is assessed within weeks, not years).
REPLY_WITHIN_DAYS = 90


def clarification_ask(
    *, bid: Bid, by: User, question: str, reply_by: date | None, proposal: Clarification | None = None
) -> Clarification:
    """Staff ask the bid's team a question (their own, or an assessor's proposal, edited or not), to be answered
    by `reply_by`. The lead council's members are told; the bid stays in review."""
    if not by.has_perm("bids.ask_clarification", bid):
        raise ApplicationError(NO_PERMISSION)
    _require_question_bid(bid)
    problems = []
    question = (question or "").strip()
    if not question:
        problems.append(Problem("Enter the question", field="question"))
    if reply_by is None:
        problems.append(Problem("Enter the date the answer is needed by", field="reply_by"))
    elif reply_by <= timezone.localdate():
        problems.append(Problem("The reply-by date must be in the future", field="reply_by"))
    elif reply_by > timezone.localdate() + timedelta(days=REPLY_WITHIN_DAYS):
        problems.append(
            Problem(f"The reply-by date must be within {REPLY_WITHIN_DAYS} days, while the bid is assessed", "reply_by")
        )
    _refuse(problems)
    with transaction.atomic():
        if proposal is not None:
            clarification = Clarification.objects.select_for_update().get(pk=proposal.pk)
            if clarification.bid_id != bid.pk or clarification.status != ClarificationStatus.PROPOSED:
                raise ApplicationError("That proposed question has already been sent or set aside")
        else:
            clarification = Clarification(bid=bid)
        clarification.status = ClarificationStatus.ASKED
        clarification.question = question
        clarification.reply_by = reply_by
        clarification.asked_by, clarification.asked_at = by, timezone.now()
        clarification.save()
        clarification.bid = bid
        notify(
            event=Event.CLARIFICATION_ASKED,
            recipients=bid_lead_members(bid=bid),
            context=_clarification_context(clarification),
            key=f"{Event.CLARIFICATION_ASKED}:{clarification.pk}",
        )
    return clarification


def clarification_discard(*, clarification: Clarification, by: User) -> Clarification:
    """Staff decide not to send an assessor's proposed question."""
    if not by.has_perm("bids.ask_clarification", clarification.bid):
        raise ApplicationError(NO_PERMISSION)
    with transaction.atomic():
        locked = Clarification.objects.select_for_update().get(pk=clarification.pk)
        if locked.status != ClarificationStatus.PROPOSED:
            raise ApplicationError("That proposed question has already been sent or set aside")
        locked.status = ClarificationStatus.DISCARDED
        locked.save(update_fields=["status"])
    return locked


def clarification_answer(
    *, clarification: Clarification, by: User, answer: str, upload: UploadedFile | None = None
) -> Clarification:
    """A member of the lead council answers, optionally with a file (checked like a supporting document).
    Staff and the bid's assessors are told. A refusal stores nothing."""
    bid = clarification.bid
    if not by.has_perm("bids.answer_clarification", bid):
        raise ApplicationError("Only members of the lead council can answer the programme team’s questions")
    if bid.state not in ANSWERABLE_BID_STATES:
        raise ApplicationError(f"This bid is {bid.get_state_display().lower()}, so questions about it are closed")
    answer = required_text(answer, "Enter your answer", "answer")
    checked = None
    if upload is not None:
        try:
            checked = document_check(name=upload.name or "", size=upload.size or 0, stream=upload)
        except ApplicationError as error:
            raise ApplicationError(error.message, problems=[Problem(error.message, field="attachment")]) from error
    stored: list[str] = []
    try:
        with transaction.atomic():
            locked = Clarification.objects.select_for_update().get(pk=clarification.pk)
            if locked.status != ClarificationStatus.ASKED:
                raise ApplicationError("This question has already been answered")
            locked.answer, locked.answered_by, locked.answered_at = answer, by, timezone.now()
            locked.status = ClarificationStatus.ANSWERED
            if checked is not None:
                upload.seek(0)
                locked.attachment.save(f"{uuid.uuid4().hex}.{checked.kind.extension}", upload, save=False)
                stored.append(locked.attachment.name)
                locked.attachment_name = checked.name
                locked.attachment_content_type = checked.kind.content_type
                locked.attachment_size = upload.size
                locked.attachment_has_formulas = checked.has_formulas
            locked.save()
            locked.bid = bid
            context = {**_clarification_context(locked), "answer": answer, "has_attachment": bool(checked)}
            key = f"{Event.CLARIFICATION_ANSWERED}:{locked.pk}"
            notify(
                event=Event.CLARIFICATION_ANSWERED,
                recipients=programme_staff(),
                context={**context, "audience": "staff"},
                key=key,
            )
            for assessor, assessment_id in bid_declared_assessors(bid=bid):
                notify(
                    event=Event.CLARIFICATION_ANSWERED,
                    recipients=[assessor],
                    context={
                        **context,
                        "audience": "assessor",
                        "assessment_path": _path("assessments:detail", pk=assessment_id),
                    },
                    key=key,
                )
    except Exception:
        for name in stored:
            default_storage.delete(name)
        raise
    return locked

"""Every write to projects. Each service owns its transaction, permission check, history and messages.

Project and report transitions run through `PROJECT_MACHINE` and `REPORT_MACHINE` (core's one transition runner:
state, `rules` permission, the conditions' reasons, `save()` and the history row) inside the service's
`transaction.atomic()`, with the notifications' outbox rows written in the same transaction.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from bids.choices import BidState
from bids.documents import document_check
from bids.models import Bid, FundingRound
from core.editing import conflict_message, require_unchanged
from core.exceptions import ApplicationError, Problem
from core.formatting import govuk_date, money
from core.money import MoneyError, as_amount
from core.transitions import NO_PERMISSION, Machine, required_text
from councils.models import Council, User
from councils.selectors import programme_staff, user_council_ids
from notifications.choices import Event
from notifications.services import notify
from projects.choices import (
    OutputKind,
    PaymentStatus,
    ProjectState,
    Rag,
    ReportState,
    VariationKind,
    VariationStatus,
)
from projects.models import (
    BudgetLine,
    Milestone,
    MonitoringReport,
    Payment,
    Project,
    ProjectCertifier,
    ProjectOutput,
    ProjectTransition,
    ReportTransition,
    Reuse,
    Variation,
)
from projects.selectors import (
    add_months,
    certify_refusal,
    councils_that_may_record_reuse,
    lessons_now,
    milestone_now,
    project_certifier_user,
    project_lead_members,
    project_partner_members,
    project_snapshot,
    report_answers_now,
    report_due_dates,
    scheduled_total,
    state_refusal,
)

# While the schedule may be set or changed.
SCHEDULE_STATES = (ProjectState.OFFERED, ProjectState.IN_DELIVERY)
IN_DELIVERY = (ProjectState.IN_DELIVERY,)
# The last payment often follows the final report: a completed project still pays what was proposed, and closes
# only once nothing waits (`project_close`).
PAYABLE = (ProjectState.IN_DELIVERY, ProjectState.COMPLETED)
# While a certifier may be chosen: reports are certified only in delivery, so once it ends the choice means nothing.
CERTIFIER_STATES = SCHEDULE_STATES


PROJECT_MACHINE = Machine(
    noun="project",
    past={
        "accept_offer": "accepted",
        "complete": "completed",
        "close": "closed",
        "withdraw": "withdrawn",
    },
    record=ProjectTransition.record,
)


REPORT_MACHINE = Machine(
    noun="report",
    past={
        "submit": "submitted",
        "certify": "certified",
        "accept": "accepted",
        "return_to_draft": "returned",
    },
    record=ReportTransition.record,
)


def _require(by: User, perm: str, obj: object, message: str = NO_PERMISSION) -> None:
    if not by.has_perm(perm, obj):
        raise ApplicationError(message)


def _require_state(project: Project, states: tuple[str, ...], consequence: str) -> None:
    """The one rule of what a project's state allows: evidence, payments, reports, changes and the final report
    only in delivery; the schedule from the offer until delivery ends."""
    if project.state not in states:
        raise ApplicationError(state_refusal(project, consequence))


def _lock(project: Project) -> Project:
    return Project.objects.select_for_update().select_related("lead_council", "bid__funding_round").get(pk=project.pk)


def _path(name: str, project: Project, **kwargs: object) -> str:
    return reverse(name, kwargs={"reference": project.reference, **kwargs})


def _amount(value: object, field: str = "amount") -> Decimal:
    try:
        return as_amount(value)
    except MoneyError as error:
        raise ApplicationError(str(error), problems=[Problem(str(error), field=field)]) from error


def _field_error(message: str, field: str) -> ApplicationError:
    return ApplicationError(message, problems=[Problem(message, field=field)])


def _store_upload(upload: UploadedFile, field: str) -> tuple[object, UploadedFile]:
    """Check an uploaded file like a bid's supporting document (its content, not its name)."""
    try:
        checked = document_check(name=upload.name or "", size=upload.size or 0, stream=upload)
    except ApplicationError as error:
        raise _field_error(error.message, field) from error
    upload.seek(0)
    return checked, upload


# --- Making the offer -------------------------------------------------------------------------------------


def project_create_for_award(*, bid: Bid, by: User | None) -> Project | None:
    """Make the project and its offer for an awarded bid of a published round, and tell the lead council. Does
    nothing if the bid already has a project (so it can run again safely)."""
    if bid.state != BidState.AWARDED or bid.award_amount is None:
        raise ApplicationError(f"{bid.reference} is not awarded, so it has no grant offer")
    if Project.objects.filter(bid=bid).exists():
        return None
    with transaction.atomic():
        project = Project.objects.create(
            bid=bid,
            reference=bid.reference,
            lead_council=bid.lead_council,
            title=bid.title or "Untitled project",
            award_amount=bid.award_amount,
            offer_conditions=bid.award_conditions,
        )
        budget_lines_copy(project=project)
        ProjectTransition.record(project, "offer", "", by, "Grant offer made when the round's decisions were published")
        notify(
            event=Event.OFFER_MADE,
            recipients=project_lead_members(project=project),
            context={
                **project_snapshot(project=project),
                "conditions": project.offer_conditions,
                "offer_path": _path("projects:accept", project),
            },
            key=f"{Event.OFFER_MADE}:{project.pk}",
        )
    return project


def budget_lines_copy(*, project: Project) -> list[BudgetLine]:
    """The project's budget starts as the bid's cost lines, copied (the bid stays as it was assessed)."""
    return BudgetLine.objects.bulk_create(
        BudgetLine(
            project=project,
            payer=line.payer,
            payer_council_id=line.payer_council_id,
            description=line.description,
            amount=line.amount,
        )
        for line in project.bid.cost_lines.order_by("pk")
    )


def projects_create_for_round(*, funding_round: FundingRound, by: User | None = None) -> list[Project]:
    """Every awarded bid of a published round without a project gets one (used on publication and by the
    `create_projects` command for rounds published before projects existed)."""
    if not funding_round.decisions_published:
        return []
    bids = funding_round.bids.filter(state=BidState.AWARDED, project__isnull=True).select_related(
        "lead_council", "funding_round"
    )
    made = []
    for bid in bids.order_by("number"):
        project = project_create_for_award(bid=bid, by=by)
        if project is not None:
            made.append(project)
    return made


def offer_accept(
    *, project: Project, by: User, conditions_confirmed: bool, upload: UploadedFile | None = None
) -> Project:
    """A lead council member accepts the offer and its conditions (optionally with the signed agreement);
    staff are told. A refusal stores nothing."""
    if not conditions_confirmed:
        raise _field_error("Confirm that your council accepts the offer and its conditions", "confirm")
    checked = None
    if upload is not None:
        checked, upload = _store_upload(upload, "agreement")
    stored: list[str] = []
    try:
        with transaction.atomic():
            locked = _lock(project)
            PROJECT_MACHINE.check(locked, "accept_offer", by)
            if checked is not None:
                locked.agreement.save(f"{uuid.uuid4().hex}.{checked.kind.extension}", upload, save=False)
                stored.append(locked.agreement.name)
                locked.agreement_name = checked.name
                locked.agreement_content_type = checked.kind.content_type
                locked.agreement_size = upload.size
                locked.agreement_has_formulas = checked.has_formulas
            PROJECT_MACHINE.run(locked, "accept_offer", by=by, note="Offer and conditions accepted", person=by)
            reports_schedule_refresh(project=locked)
            notify(
                event=Event.OFFER_ACCEPTED,
                recipients=programme_staff(),
                context={
                    **project_snapshot(project=locked),
                    "accepted_by": by.full_name or by.email,
                    "accepted_at_display": govuk_date(locked.accepted_at),
                },
                key=f"{Event.OFFER_ACCEPTED}:{locked.pk}",
            )
    except Exception:
        for name in stored:
            default_storage.delete(name)
        raise
    return locked


# --- The certifier ----------------------------------------------------------------------------------------


def certifier_appoint(*, project: Project, by: User, user: User, role_title: str = "") -> ProjectCertifier:
    """The lead council or staff choose which lead member certifies the project's reports (replacing any
    earlier choice)."""
    _require(by, "projects.appoint_certifier", project)
    if project.lead_council_id not in user_council_ids(user) or not user.is_active:
        raise _field_error(f"The certifier must be a member of {project.lead_council}", "user")
    with transaction.atomic():
        _require_state(_lock(project), CERTIFIER_STATES, "its reports no longer need a certifier")
        certifier, _created = ProjectCertifier.objects.update_or_create(
            project=project,
            defaults={
                "user": user,
                "role_title": role_title.strip()[:100],
                "appointed_by": by,
                "appointed_at": timezone.now(),
            },
        )
    project.certifier = certifier
    return certifier


# --- The schedule: milestones and payments ------------------------------------------------------------------


def _require_schedule(project: Project, by: User) -> None:
    _require(by, "projects.manage_schedule", project)
    _require_state(project, SCHEDULE_STATES, "its schedule is fixed")


def _check_total(project: Project, total: Decimal) -> None:
    if total > project.award_amount:
        over = total - project.award_amount
        message = (
            f"The payments would add up to {money(total, pence=True)}, which is {money(over, pence=True)} more than "
            f"the award of {money(project.award_amount, pence=True)}. Payments can add up to the award at most"
        )
        raise _field_error(message, "amount")


# How far after its offer a project's milestones may fall (the fund's projects run for months, not decades).
MILESTONE_YEARS = 5


def _due_date_problem(project: Project, due_date: date) -> str:
    """Why `due_date` cannot be one of the project's milestone dates ("" if it can): from the day of the offer to
    MILESTONE_YEARS after it."""
    first = timezone.localdate(project.offered_at)
    last = add_months(first, 12 * MILESTONE_YEARS)
    if not first <= due_date <= last:
        return f"A milestone must be due between the offer, {govuk_date(first)}, and {govuk_date(last)}"
    return ""


def _milestone_values(project: Project, title: str, due_date: date | None) -> tuple[str, date]:
    title = required_text(title, "Enter the milestone's title", "title")
    if due_date is None:
        raise _field_error("Enter the milestone's due date", "due_date")
    problem = _due_date_problem(project, due_date)
    if problem:
        raise _field_error(problem, "due_date")
    return title[:200], due_date


def milestone_add(*, project: Project, by: User, title: str, due_date: date | None, amount: object) -> Milestone:
    """Staff add a milestone with the payment due when it is met; the payments never add up to more than the
    award."""
    title, due_date = _milestone_values(project, title, due_date)
    amount = _amount(amount)
    with transaction.atomic():
        locked = _lock(project)
        _require_schedule(locked, by)
        _check_total(locked, scheduled_total(project=locked) + amount)
        milestone = Milestone.objects.create(project=locked, title=title, due_date=due_date)
        Payment.objects.create(project=locked, milestone=milestone, amount=amount)
        reports_schedule_refresh(project=locked)
    return milestone


def _date_fixed(milestone: Milestone) -> str:
    """Why a milestone's date may no longer move ('' if it may): once its evidence is in, the date it was met by
    is history, and its payment and report follow from it."""
    if milestone.evidence_submitted:
        return f"‘{milestone.title}’ has its evidence in, so its date is fixed"
    return ""


MILESTONE_CONFLICT = conflict_message("This milestone")


def milestone_change(
    *, milestone: Milestone, by: User, title: str, due_date: date | None, amount: object, seen: str | None = None
) -> Milestone:
    """Staff change a milestone; its payment's amount only while the payment is not yet proposed. `seen` is the
    fingerprint of what the page showed (`core.editing`)."""
    title, due_date = _milestone_values(milestone.project, title, due_date)
    amount = _amount(amount)
    with transaction.atomic():
        locked = _lock(milestone.project)
        _require_schedule(locked, by)
        milestone = Milestone.objects.select_for_update().get(pk=milestone.pk)
        payment = Payment.objects.select_for_update().get(milestone=milestone)
        milestone.payment = payment
        require_unchanged(seen=seen, current=milestone_now(milestone=milestone), message=MILESTONE_CONFLICT)
        if due_date != milestone.due_date and _date_fixed(milestone):
            raise _field_error(_date_fixed(milestone), "due_date")
        if amount != payment.amount:
            if payment.status != PaymentStatus.SCHEDULED:
                raise _field_error(
                    f"This milestone's payment is {payment.get_status_display().lower()}, so its amount is fixed",
                    "amount",
                )
            _check_total(locked, scheduled_total(project=locked, excluding=payment) + amount)
            payment.amount = amount
            payment.save(update_fields=["amount"])
        milestone.title, milestone.due_date = title, due_date
        milestone.save(update_fields=["title", "due_date"])
        reports_schedule_refresh(project=locked)
    return milestone


def milestone_remove(*, milestone: Milestone, by: User) -> None:
    with transaction.atomic():
        locked = _lock(milestone.project)
        _require_schedule(locked, by)
        milestone = Milestone.objects.select_for_update().get(pk=milestone.pk)
        if milestone.evidence_submitted or milestone.payment.status != PaymentStatus.SCHEDULED:
            raise ApplicationError("This milestone has evidence or a payment under way, so it cannot be removed")
        milestone.payment.delete()
        milestone.delete()
        reports_schedule_refresh(project=locked)


def milestone_submit_evidence(
    *, milestone: Milestone, by: User, evidence: str, upload: UploadedFile | None = None
) -> Milestone:
    """A lead member submits the evidence that a milestone is met (optionally with a file)."""
    project = milestone.project
    _require(by, "projects.submit_evidence", project)
    evidence = required_text(evidence, "Describe the evidence that the milestone is met", "evidence")
    checked = None
    if upload is not None:
        checked, upload = _store_upload(upload, "evidence_file")
    stored: list[str] = []
    try:
        with transaction.atomic():
            locked_project = _lock(project)
            _require_state(locked_project, IN_DELIVERY, "evidence cannot be submitted")
            locked = Milestone.objects.select_for_update().get(pk=milestone.pk)
            if locked.payment.status != PaymentStatus.SCHEDULED:
                raise ApplicationError("This milestone's payment is already under way, so its evidence is fixed")
            if checked is not None:
                locked.evidence_file.save(f"{uuid.uuid4().hex}.{checked.kind.extension}", upload, save=False)
                stored.append(locked.evidence_file.name)
                locked.evidence_file_name = checked.name
                locked.evidence_file_content_type = checked.kind.content_type
                locked.evidence_file_size = upload.size
                locked.evidence_file_has_formulas = checked.has_formulas
            locked.evidence, locked.submitted_by, locked.submitted_at = evidence, by, timezone.now()
            locked.save()
    except Exception:
        for name in stored:
            default_storage.delete(name)
        raise
    return locked


def _payment_context(payment: Payment, project: Project) -> dict:
    return {
        **project_snapshot(project=project),
        "milestone": payment.milestone.title,
        "amount": str(payment.amount),
    }


def payment_propose(*, payment: Payment, by: User) -> Payment:
    """A staff member proposes a milestone's payment once its evidence is in; the other staff are asked to
    approve it (the proposer may not)."""
    _require(by, "projects.propose_payment", payment.project)
    with transaction.atomic():
        project = _lock(payment.project)
        locked = Payment.objects.select_for_update().select_related("milestone").get(pk=payment.pk)
        _require_state(project, PAYABLE, "nothing can be paid")
        if locked.status != PaymentStatus.SCHEDULED:
            raise ApplicationError(f"This payment is {locked.get_status_display().lower()} already")
        if not locked.milestone.evidence_submitted:
            raise ApplicationError("The council has not submitted evidence for this milestone yet")
        locked.status, locked.proposed_by, locked.proposed_at = PaymentStatus.PROPOSED, by, timezone.now()
        locked.save(update_fields=["status", "proposed_by", "proposed_at"])
        notify(
            event=Event.PAYMENT_PROPOSED,
            recipients=[user for user in programme_staff() if user.pk != by.pk],
            context={
                **_payment_context(locked, project),
                "proposed_by": by.full_name or by.email,
                "payment_path": _path("projects:staff_payment", project, pk=locked.pk),
            },
            key=f"{Event.PAYMENT_PROPOSED}:{locked.pk}",
        )
    return locked


def payment_approve(*, payment: Payment, by: User, paid_on: date | None = None) -> Payment:
    """A different staff member approves a proposed payment and records the day it is paid; the lead council
    is told. The database refuses the same person too."""
    _require(by, "projects.approve_payment", payment.project)
    with transaction.atomic():
        project = _lock(payment.project)
        locked = Payment.objects.select_for_update().select_related("milestone").get(pk=payment.pk)
        _require_state(project, PAYABLE, "nothing can be paid")
        if locked.status != PaymentStatus.PROPOSED:
            raise ApplicationError(f"This payment is {locked.get_status_display().lower()}, so it cannot be approved")
        if locked.proposed_by_id == by.pk:
            raise ApplicationError("You proposed this payment, so another member of the programme team must approve it")
        paid_on = paid_on or timezone.localdate()
        if paid_on > timezone.localdate():
            raise _field_error("The day it is paid cannot be in the future: record it once it is paid", "paid_on")
        proposed_on = timezone.localdate(locked.proposed_at)
        if paid_on < proposed_on:
            raise _field_error(
                f"The day it is paid cannot be before it was proposed, on {govuk_date(proposed_on)}", "paid_on"
            )
        locked.status, locked.approved_by, locked.approved_at = PaymentStatus.APPROVED, by, timezone.now()
        locked.paid_on = paid_on
        try:
            with transaction.atomic():
                locked.save(update_fields=["status", "approved_by", "approved_at", "paid_on"])
        except IntegrityError as error:  # pragma: no cover - the check above refuses first
            raise ApplicationError("Another member of the programme team must approve this payment") from error
        notify(
            event=Event.PAYMENT_APPROVED,
            recipients=project_lead_members(project=project),
            context={**_payment_context(locked, project), "paid_on_display": govuk_date(paid_on)},
            key=f"{Event.PAYMENT_APPROVED}:{locked.pk}",
        )
    return locked


# --- Monitoring reports -------------------------------------------------------------------------------------


def reports_schedule_refresh(*, project: Project) -> int:
    """Keep the reports in step with the schedule: a draft for each due date (monthly and at each milestone)
    not yet reported on; an untouched draft whose date is no longer in the schedule goes. Returns how many
    were added. Reports start once the offer is accepted."""
    if project.state != ProjectState.IN_DELIVERY:
        return 0
    due = report_due_dates(project=project)
    existing = {report.due_date: report for report in project.reports.all()}
    for due_date, report in existing.items():
        if due_date not in due and report.state == ReportState.DRAFT and not report.has_content:
            report.delete()
    new = [
        MonitoringReport(project=project, due_date=due_date, kind=kind)
        for due_date, kind in due.items()
        if due_date not in existing
    ]
    MonitoringReport.objects.bulk_create(new)
    for due_date, kind in due.items():
        report = existing.get(due_date)
        if report is not None and report.kind != kind and report.state == ReportState.DRAFT:
            MonitoringReport.objects.filter(pk=report.pk).update(kind=kind)
    return len(new)


REPORT_TEXT_FIELDS = ("progress", "risks", "outputs", "next_steps")
ZERO_POUNDS = re.compile(r"£?\s*0+(\.0{1,2})?")


REPORT_CONFLICT = conflict_message("This report")


def report_update(
    *, report: MonitoringReport, by: User, values: Mapping[str, object], seen: str | None = None
) -> MonitoringReport:
    """A lead member saves the draft (every answer optional until it is submitted). `seen` is the fingerprint of
    the answers the page showed: a colleague's save since is never undone without a word (`core.editing`)."""
    _require(by, "projects.edit_report", report.project)
    problems = []
    changes: dict[str, object] = {}
    for name in REPORT_TEXT_FIELDS:
        if name in values:
            changes[name] = str(values[name] or "").strip()
    for name in ("spend_to_date", "spend_planned"):
        if name in values:
            value = values[name]
            if value in (None, ""):
                changes[name] = None
                continue
            if isinstance(value, str) and ZERO_POUNDS.fullmatch(value.strip()):
                changes[name] = Decimal("0.00")  # nothing spent yet is an answer
                continue
            try:
                changes[name] = as_amount(value)
            except MoneyError as error:
                message = "Enter £0 or more" if error.code == "positive" else str(error)
                problems.append(Problem(message, field=name))
    if "rag" in values:
        rag = str(values["rag"] or "")
        if rag and rag not in Rag.values:
            problems.append(Problem("Choose red, amber or green", field="rag"))
        changes["rag"] = rag
    if problems:
        raise ApplicationError(problems[0].message, problems=problems)
    with transaction.atomic():
        locked = MonitoringReport.objects.select_for_update().get(pk=report.pk)
        if locked.state != ReportState.DRAFT:
            raise ApplicationError(
                f"This report is {locked.get_state_display().lower()}, so it can no longer be changed"
            )
        _require_state(locked.project, IN_DELIVERY, "its reports are closed")
        require_unchanged(seen=seen, current=report_answers_now(report=locked), message=REPORT_CONFLICT)
        for name, value in changes.items():
            setattr(locked, name, value)
        locked.drafted_by = by
        locked.save()
    return locked


def _report_context(report: MonitoringReport, project: Project) -> dict:
    return {
        **project_snapshot(project=project),
        "due_date_display": govuk_date(report.due_date),
        "rag": report.get_rag_display(),
        "report_path": _path("projects:report", project, pk=report.pk),
        "staff_report_path": _path("projects:staff_report", project, pk=report.pk),
    }


def _lock_report(report: MonitoringReport) -> MonitoringReport:
    locked = MonitoringReport.objects.select_for_update().get(pk=report.pk)
    locked.project = Project.objects.select_related("lead_council", "bid__funding_round", "certifier__user").get(
        pk=locked.project_id
    )
    return locked


def report_submit(*, report: MonitoringReport, by: User) -> MonitoringReport:
    """A lead member submits the draft for certification; the certifier is asked to certify it. Refused until
    the project has a certifier."""
    with transaction.atomic():
        locked = _lock_report(report)
        REPORT_MACHINE.check(locked, "submit", by)
        certifier = project_certifier_user(project=locked.project)
        if certifier is None:
            raise ApplicationError("Choose who certifies your reports (such as your section 151 officer) first")
        REPORT_MACHINE.run(locked, "submit", by=by, person=by)
        notify(
            event=Event.REPORT_SUBMITTED,
            recipients=[certifier],
            context={**_report_context(locked, locked.project), "submitted_by": by.full_name or by.email},
            key=f"{Event.REPORT_SUBMITTED}:{locked.pk}:{locked.submitted_at.isoformat()}",
        )
    return locked


def report_certify(*, report: MonitoringReport, by: User) -> MonitoringReport:
    """The project's certifier certifies a submitted report; it then reaches staff."""
    with transaction.atomic():
        locked = _lock_report(report)
        REPORT_MACHINE.check(locked, "certify", by)  # the wrong state or person is told so first
        refusal = certify_refusal(report=locked, user=by)
        if refusal:
            raise ApplicationError(refusal)
        REPORT_MACHINE.run(locked, "certify", by=by, person=by)
        notify(
            event=Event.REPORT_CERTIFIED,
            recipients=programme_staff(),
            context={**_report_context(locked, locked.project), "certified_by": by.full_name or by.email},
            key=f"{Event.REPORT_CERTIFIED}:{locked.pk}:{locked.certified_at.isoformat()}",
        )
    return locked


def report_accept(*, report: MonitoringReport, by: User) -> MonitoringReport:
    with transaction.atomic():
        locked = _lock_report(report)
        REPORT_MACHINE.run(locked, "accept", by=by, person=by)
        notify(
            event=Event.REPORT_ACCEPTED,
            recipients=project_lead_members(project=locked.project),
            context=_report_context(locked, locked.project),
            key=f"{Event.REPORT_ACCEPTED}:{locked.pk}",
        )
    return locked


def report_return(*, report: MonitoringReport, by: User, message: str) -> MonitoringReport:
    """Staff return a report to the lead council with a message; it is a draft again, to be certified again."""
    message = required_text(message, "Enter what the council needs to change", "message")
    with transaction.atomic():
        locked = _lock_report(report)
        REPORT_MACHINE.run(locked, "return_to_draft", by=by, note=message, message=message)
        notify(
            event=Event.REPORT_RETURNED,
            recipients=project_lead_members(project=locked.project),
            context={**_report_context(locked, locked.project), "message": message},
            key=f"{Event.REPORT_RETURNED}:{locked.pk}:{locked.returned_at.isoformat()}",
        )
    return locked


# --- Changes (variations) -------------------------------------------------------------------------------------


def _changed(
    rows: Mapping[str, object],
    changes: Mapping[str, object],
    *,
    read: Callable[[str, object], object],
    current: Callable[[object], object],
    whose: str,
    none_changed: str,
) -> dict[str, object]:
    """The new values a change asks for, by row id: each read by `read(key, value)` (which explains a bad one),
    blanks and values equal to the row's `current` one left out. Refused for rows not of the project (`whose`)
    or when nothing changes (`none_changed`)."""
    clean: dict[str, object] = {}
    for key, value in changes.items():
        if key not in rows:
            raise ApplicationError(f"One of the {whose} named is not this project's: it may have been removed")
        if value in (None, ""):
            continue
        value = read(key, value)
        if value != current(rows[key]):
            clean[key] = value
    if not clean:
        raise _field_error(none_changed, "changes")
    return clean


def _read_date(key: str, value: object) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as error:
        raise _field_error("Enter real dates", f"date_{key}") from error


def _date_changes(project: Project, changes: Mapping[str, object]) -> dict[str, str]:
    milestones = {str(m.pk): m for m in project.milestones.all()}
    clean = _changed(
        milestones,
        changes,
        read=_read_date,
        current=lambda milestone: milestone.due_date,
        whose="milestones",
        none_changed="Enter at least one new milestone date",
    )
    for key, value in clean.items():
        problem = _date_fixed(milestones[key]) or _due_date_problem(project, value)
        if problem:
            raise _field_error(problem, f"date_{key}")
    return {key: value.isoformat() for key, value in clean.items()}


def _money_changes(project: Project, changes: Mapping[str, object]) -> dict[str, str]:
    payments = {str(p.pk): p for p in project.payments.select_related("milestone")}
    clean = _changed(
        payments,
        changes,
        read=lambda key, value: _amount(value, field=f"amount_{key}"),
        current=lambda payment: payment.amount,
        whose="payments",
        none_changed="Enter at least one new payment amount",
    )
    for key in clean:
        if payments[key].status != PaymentStatus.SCHEDULED:
            raise _field_error(
                f"The payment for {payments[key].milestone.title} is under way, so it cannot move", f"amount_{key}"
            )
    _check_total(project, sum((clean.get(key, p.amount) for key, p in payments.items()), Decimal("0")))
    return {key: str(amount) for key, amount in clean.items()}


def _read_line_amount(key: str, value: object) -> Decimal:
    amount = _amount(value, field=f"line_{key}")
    if amount < 0:
        raise _field_error("An amount cannot be less than £0", f"line_{key}")
    return amount


def _budget_changes(project: Project, changes: Mapping[str, object]) -> dict[str, str]:
    """New amounts for budget lines: together they come to the award. Money moves between them; where less was
    awarded than the bid asked for, the budget (a copy of the bid's costs) comes down to the award this way."""
    lines = {str(line.pk): line for line in project.budget_lines.all()}
    clean = _changed(
        lines,
        changes,
        read=_read_line_amount,
        current=lambda line: line.amount,
        whose="budget lines",
        none_changed="Enter at least one new amount",
    )
    award = project.award_amount
    new = sum((clean.get(key, line.amount) for key, line in lines.items()), Decimal("0"))
    if new != award:
        raise _field_error(
            f"The budget lines must add up to the award of {money(award, pence=True)}; the new amounts add up to "
            f"{money(new, pence=True)}",
            "changes",
        )
    return {key: str(amount) for key, amount in clean.items()}


def _clean_changes(project: Project, kind: str, changes: Mapping[str, object]) -> dict[str, str]:
    if kind == VariationKind.DATES:
        return _date_changes(project, changes)
    if kind == VariationKind.MONEY:
        return _money_changes(project, changes)
    if kind == VariationKind.BUDGET:
        return _budget_changes(project, changes)
    if kind == VariationKind.SCOPE:
        scope = required_text(str(changes.get("scope", "")), "Describe the new scope", "scope")
        return {"scope": scope}
    raise _field_error("Choose what you want to change", "kind")


def variation_request(
    *, project: Project, by: User, kind: str, reasons: str, changes: Mapping[str, object]
) -> Variation:
    """A lead member asks for a change with its reasons; staff are told."""
    _require(by, "projects.request_variation", project)
    reasons = required_text(reasons, "Enter the reasons for the change", "reasons")
    with transaction.atomic():
        locked = _lock(project)
        _require_state(locked, IN_DELIVERY, "it cannot change")
        clean = _clean_changes(locked, kind, changes)
        variation = Variation.objects.create(project=locked, kind=kind, reasons=reasons, changes=clean, requested_by=by)
        notify(
            event=Event.VARIATION_REQUESTED,
            recipients=programme_staff(),
            context={
                **project_snapshot(project=locked),
                "kind": variation.get_kind_display(),
                "reasons": reasons,
                "variation_path": _path("projects:staff_variation", locked, pk=variation.pk),
            },
            key=f"{Event.VARIATION_REQUESTED}:{variation.pk}",
        )
    return variation


def _apply(variation: Variation, project: Project) -> None:
    """Apply an approved change to the schedule (checked again: the schedule may have moved since)."""
    try:
        changes = _clean_changes(project, variation.kind, variation.changes)
    except ApplicationError as error:
        raise ApplicationError(
            f"The schedule has changed since this was asked for, so it cannot be made as asked ({error.message}). "
            "Decline it, and the council can ask again"
        ) from error
    if variation.kind == VariationKind.DATES:
        for pk, value in changes.items():
            Milestone.objects.filter(pk=int(pk), project=project).update(due_date=date.fromisoformat(value))
        reports_schedule_refresh(project=project)
    elif variation.kind == VariationKind.MONEY:
        for pk, value in changes.items():
            Payment.objects.filter(pk=int(pk), project=project).update(amount=Decimal(value))
    elif variation.kind == VariationKind.BUDGET:
        for pk, value in changes.items():
            BudgetLine.objects.filter(pk=int(pk), project=project).update(amount=Decimal(value))


def _decide(variation: Variation, by: User, approve: bool, reason: str) -> Variation:
    _require(by, "projects.decide_variation", variation.project)
    with transaction.atomic():
        project = _lock(variation.project)
        locked = Variation.objects.select_for_update().get(pk=variation.pk)
        if locked.status != VariationStatus.REQUESTED:
            raise ApplicationError(f"This change has been {locked.get_status_display().lower()} already")
        if approve:
            _require_state(project, IN_DELIVERY, "the change cannot be made")
            _apply(locked, project)
        locked.status = VariationStatus.APPROVED if approve else VariationStatus.DECLINED
        locked.decided_by, locked.decided_at, locked.decision_reason = by, timezone.now(), reason
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        notify(
            event=Event.VARIATION_DECIDED,
            recipients=project_lead_members(project=project),
            context={
                **project_snapshot(project=project),
                "kind": locked.get_kind_display(),
                "approved": approve,
                "reason": reason,
            },
            key=f"{Event.VARIATION_DECIDED}:{locked.pk}",
        )
    return locked


def variation_approve(*, variation: Variation, by: User, reason: str = "") -> Variation:
    """Staff approve a change: it is applied to the schedule in the same transaction; the lead is told."""
    return _decide(variation, by, True, reason.strip())


def variation_decline(*, variation: Variation, by: User, reason: str) -> Variation:
    reason = required_text(reason, "Enter why the change is declined", "reason")
    return _decide(variation, by, False, reason)


# --- Closure and reuse ----------------------------------------------------------------------------------------


def _require_final_report(project: Project, by: User) -> None:
    _require(by, "projects.submit_final_report", project)
    _require_state(project, IN_DELIVERY, "its final report is fixed")


def _public_host(host: str) -> bool:
    """A name other councils can reach: not localhost, not an IP address, and with a dot (`github.com`)."""
    host = host.lower().rstrip(".")
    if not host or host == "localhost" or host.endswith((".localhost", ".local", ".internal")) or "." not in host:
        return False
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return True
    return False


def output_add(*, project: Project, by: User, title: str, url: str, kind: str) -> ProjectOutput:
    _require_final_report(project, by)
    title = required_text(title, "Enter the output's title", "title")
    url = required_text(url, "Enter the link to the output", "url")
    if not url.lower().startswith("https://"):
        raise _field_error("Enter a link starting https://", "url")
    try:
        URLValidator(schemes=["https"])(url)
    except ValidationError as error:
        raise _field_error("Enter the whole link to a public web page, like https://github.com/…", "url") from error
    if not _public_host(urlsplit(url).hostname or ""):
        # Outputs are published for every council to reuse: a link only the author's machine or network can
        # open is no output.
        raise _field_error("Enter a link to a public web page, not a local or private address", "url")
    if kind not in OutputKind.values:
        raise _field_error("Choose what kind of output it is", "kind")
    return ProjectOutput.objects.create(project=project, title=title[:200], url=url[:500], kind=kind, added_by=by)


def output_remove(*, output: ProjectOutput, by: User) -> None:
    _require_final_report(output.project, by)
    output.delete()


LESSONS_CONFLICT = conflict_message("The lessons learned", plural=True)


def final_report_update(*, project: Project, by: User, lessons_learned: str, seen: str | None = None) -> Project:
    """A lead member saves the lessons learned. `seen` is the fingerprint of the lessons the page showed: a
    colleague's save since is never undone without a word (`core.editing`)."""
    _require_final_report(project, by)
    with transaction.atomic():
        locked = _lock(project)
        require_unchanged(seen=seen, current=lessons_now(project=locked), message=LESSONS_CONFLICT)
        Project.objects.filter(pk=project.pk).update(lessons_learned=lessons_learned.strip(), updated_at=timezone.now())
    project.lessons_learned = lessons_learned.strip()
    return project


def project_complete(*, project: Project, by: User) -> Project:
    """A lead member submits the final report (outputs and lessons learned): the project is completed and
    staff are told."""
    with transaction.atomic():
        locked = _lock(project)
        PROJECT_MACHINE.run(locked, "complete", by=by, note="Final report submitted")
        notify(
            event=Event.PROJECT_COMPLETED,
            recipients=programme_staff(),
            context={**project_snapshot(project=locked), "outputs": locked.outputs.count()},
            key=f"{Event.PROJECT_COMPLETED}:{locked.pk}",
        )
    return locked


def project_close(*, project: Project, by: User) -> Project:
    """Staff close a completed project; its councils are told."""
    with transaction.atomic():
        locked = _lock(project)
        PROJECT_MACHINE.run(locked, "close", by=by)
        _tell_councils(locked, Event.PROJECT_CLOSED)
    return locked


def project_withdraw(*, project: Project, by: User, reason: str) -> Project:
    """Staff withdraw a project, with the reason, which its councils are told: no more payments are made."""
    reason = required_text(reason, "Enter why the project is withdrawn", "reason")
    with transaction.atomic():
        locked = _lock(project)
        PROJECT_MACHINE.run(locked, "withdraw", by=by, note=reason, reason=reason)
        _tell_councils(locked, Event.PROJECT_WITHDRAWN, reason=reason)
    return locked


def _tell_councils(project: Project, event: str, **context: object) -> None:
    """The project's lead and partner members hear of `event` (once: keyed by the event and the project)."""
    notify(
        event=event,
        recipients=[*project_lead_members(project=project), *project_partner_members(project=project)],
        context={**project_snapshot(project=project), **context},
        key=f"{event}:{project.pk}",
    )


def reuse_record(*, project: Project, by: User, council: Council, note: str) -> Reuse:
    """A member of a signatory council (not the lead) records that their council reuses the project's outputs."""
    _require(by, "projects.record_reuse", project)
    if not councils_that_may_record_reuse(project=project, user=by).filter(pk=council.pk).exists():
        raise _field_error(
            "Choose a Declaration signatory council you belong to that is not delivering this project", "council"
        )
    note = required_text(note, "Say briefly how your council reuses the project's outputs", "note")
    try:
        with transaction.atomic():
            return Reuse.objects.create(project=project, council=council, note=note, recorded_by=by)
    except IntegrityError as error:
        raise _field_error(f"{council} has already said it reuses this project's outputs", "council") from error

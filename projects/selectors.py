"""Every non-trivial read about projects: who may see which, who hears what, the report schedule, money.

The pages, the later API and the public pages read through these, so one rule decides what each person sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, DecimalField, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from bids.choices import PartnerStatus
from councils.models import Council, User
from councils.selectors import council_members, user_council_ids
from projects import conditions
from projects.choices import PaymentShown, PaymentStatus, ProjectState, ReportKind, ReportState, VariationStatus
from projects.models import (
    Milestone,
    MonitoringReport,
    Payment,
    Project,
    ProjectOutput,
    ProjectTransition,
    ReportTransition,
    Reuse,
    Variation,
)

ZERO = Decimal("0.00")
# Reports are reminded this many days before they are due.
REPORT_DUE_SOON_DAYS = 7
# Live projects: those with a schedule to keep.
ACTIVE_STATES = (ProjectState.OFFERED, ProjectState.IN_DELIVERY)


def today() -> date:
    return timezone.localdate()


def _money(expression) -> Coalesce:
    return Coalesce(expression, Value(ZERO), output_field=DecimalField(max_digits=14, decimal_places=2))


def project_queryset() -> QuerySet[Project]:
    return Project.objects.select_related("lead_council", "bid__funding_round", "accepted_by")


def projects_for_user(user: User) -> QuerySet[Project]:
    """The projects the user may see: every project for programme staff; the projects their councils lead or
    are confirmed partners of for a council member; none for anyone else."""
    if getattr(user, "is_authenticated", False) and user.has_perm("projects.view_all_projects"):
        return project_queryset()
    council_ids = user_council_ids(user)
    if not council_ids:
        return Project.objects.none()
    return (
        project_queryset()
        .filter(
            Q(lead_council_id__in=council_ids)
            | Q(bid__partners__council_id__in=council_ids, bid__partners__status=PartnerStatus.CONFIRMED)
        )
        .distinct()
    )


def public_projects() -> QuerySet[Project]:
    """What anyone may know of funded projects (the awards are already public once a round is published)."""
    return project_queryset().prefetch_related("outputs", "reuses__council").order_by("reference")


def project_get_for_user(*, user: User, reference: str) -> Project:
    """The project with this reference if the user may see it; otherwise 404 (never 403)."""
    project = (
        project_queryset()
        .select_related("certifier__user")
        .prefetch_related("bid__partners__council")
        .filter(reference=reference)
        .first()
    )
    if project is None or not user.has_perm("projects.view_project", project):
        raise Http404("No project found")
    return project


def project_get_public(*, reference: str) -> Project:
    project = public_projects().filter(reference=reference).first()
    if project is None:
        raise Http404("No project found")
    return project


def project_overview(*, project: Project) -> dict:
    """Everything the project's page shows, in a fixed number of queries."""
    milestones = list(project.milestones.select_related("payment").order_by("due_date", "pk"))
    reports = list(project.reports.order_by("due_date", "pk"))
    variations = list(project.variations.select_related("requested_by", "decided_by").order_by("-requested_at"))
    outputs = list(project.outputs.all())
    reuses = list(project.reuses.select_related("council"))
    budget_lines = list(project.budget_lines.select_related("payer_council"))
    now = today()
    for report in reports:
        # Reports are due only while the project is in delivery (as on the staff list and in the reminders).
        report.is_overdue = (
            project.state == ProjectState.IN_DELIVERY and report.state == ReportState.DRAFT and report.due_date < now
        )
    budget_total = sum((line.amount for line in budget_lines), Decimal("0"))
    return {
        "milestones": milestones,
        "reports": reports,
        "variations": variations,
        "outputs": outputs,
        "reuses": reuses,
        "budget_lines": budget_lines,
        "budget_total": budget_total,
        # A copy of the bid's costs comes to what was asked for; where less was awarded, the council brings the
        # budget down to the award with a change to its lines.
        "budget_over_award": budget_total - project.award_amount if budget_lines else Decimal("0"),
        "money": project_money(project=project),
    }


def lessons_now(*, project: Project) -> dict[str, object]:
    """The final report's lessons learned as saved: what its page showed, fingerprinted (`core.editing`)."""
    return {"lessons_learned": project.lessons_learned}


def milestone_now(*, milestone: Milestone) -> dict[str, object]:
    """A milestone and its payment as saved: what its page showed, fingerprinted (`core.editing`)."""
    return {"title": milestone.title, "due_date": milestone.due_date, "amount": milestone.payment.amount}


# A monitoring report's answers, as its form names them.
REPORT_ANSWERS = ("progress", "spend_to_date", "spend_planned", "rag", "risks", "outputs", "next_steps")


def report_answers_now(*, report: MonitoringReport) -> dict[str, object]:
    """A draft report's answers as saved: what its page showed, fingerprinted (`core.editing`)."""
    return {name: getattr(report, name) for name in REPORT_ANSWERS}


def project_history(*, project: Project) -> list[ProjectTransition]:
    return list(project.history.select_related("by").order_by("at", "pk"))


# --- Who hears what -------------------------------------------------------------------------------------


def project_lead_members(*, project: Project) -> list[User]:
    return council_members(council_ids=[project.lead_council_id])


def project_partner_members(*, project: Project) -> list[User]:
    council_ids = project.bid.partners.filter(status=PartnerStatus.CONFIRMED).values_list("council_id", flat=True)
    return council_members(council_ids=council_ids)


def project_certifier_user(*, project: Project) -> User | None:
    certifier = getattr(project, "certifier", None)
    return certifier.user if certifier is not None and certifier.user.is_active else None


def project_snapshot(*, project: Project) -> dict:
    """What a message about the project needs, as true when the event happened."""
    return {
        "reference": project.reference,
        "title": project.title,
        "lead_council": project.lead_council.name,
        "round": project.bid.funding_round.name,
        "amount_awarded": str(project.award_amount),
        "project_path": reverse("projects:detail", kwargs={"reference": project.reference}),
        "staff_project_path": reverse("projects:staff_detail", kwargs={"reference": project.reference}),
    }


# --- The schedule and money -----------------------------------------------------------------------------


def scheduled_total(*, project: Project, excluding: Payment | None = None) -> Decimal:
    payments = project.payments.all()
    if excluding is not None:
        payments = payments.exclude(pk=excluding.pk)
    return payments.aggregate(total=_money(Sum("amount")))["total"]


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    # The same day of the month, or the month's last day when it is shorter.
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(day)  # unreachable


def report_due_dates(*, project: Project) -> dict[date, str]:
    """The reports' due dates: monthly from the month after the offer was accepted (or made) up to the last
    milestone, and one on each milestone's due date (a milestone's date wins when both fall on one day)."""
    milestone_dates = sorted(project.milestones.values_list("due_date", flat=True))
    if not milestone_dates:
        return {}
    start = timezone.localtime(project.accepted_at or project.offered_at).date()
    dates: dict[date, str] = {}
    months = 1
    while (due := add_months(start, months)) <= milestone_dates[-1]:
        dates[due] = ReportKind.MONTHLY
        months += 1
    for due in milestone_dates:
        dates[due] = ReportKind.MILESTONE
    return dict(sorted(dates.items()))


# Nothing more is paid on a withdrawn or closed project, so nothing is still due on it: what was not paid is
# released (the one rule for every "still due" figure: a project's page, the lists, the dashboard, the API).
NOTHING_DUE = (ProjectState.WITHDRAWN, ProjectState.CLOSED)


def payment_shown(payment: Payment, project: Project) -> str:
    """What a payment is, as every page, the finance CSV and the API say it (`PaymentShown`): a scheduled payment
    of a project on which nothing more is paid (`NOTHING_DUE`) is released, never still 'scheduled'."""
    if payment.status == PaymentStatus.SCHEDULED and project.state in NOTHING_DUE:
        return PaymentShown.RELEASED
    return payment.status


@dataclass(frozen=True)
class Money:
    awarded: Decimal
    scheduled: Decimal
    paid: Decimal
    due: Decimal  # awarded less paid, for a project still to be paid (`NOTHING_DUE`: none on the others)


def _money_annotations() -> dict:
    return {
        "scheduled_total": _money(Sum("payments__amount")),
        "paid_total": _money(Sum("payments__amount", filter=Q(payments__status=PaymentStatus.APPROVED))),
    }


def _as_money(awarded: Decimal, scheduled: Decimal, paid: Decimal, state: str) -> Money:
    return Money(awarded=awarded, scheduled=scheduled, paid=paid, due=ZERO if state in NOTHING_DUE else awarded - paid)


def project_money(*, project: Project) -> Money:
    totals = Payment.objects.filter(project=project).aggregate(
        scheduled=_money(Sum("amount")), paid=_money(Sum("amount", filter=Q(status=PaymentStatus.APPROVED)))
    )
    return _as_money(project.award_amount, totals["scheduled"], totals["paid"], project.state)


def money_by_project(projects: QuerySet[Project] | None = None) -> list[tuple[Project, Money]]:
    """(project, awarded / scheduled / paid / due) for each project, in one query."""
    projects = (projects if projects is not None else project_queryset()).annotate(**_money_annotations())
    return [
        (
            project,
            _as_money(
                project.award_amount,
                project.scheduled_total,
                project.paid_total,
                project.state,
            ),
        )
        for project in projects.order_by("reference")
    ]


# --- Staff lists ------------------------------------------------------------------------------------------


def project_list_for_staff(*, round_code: str = "", state: str = "") -> QuerySet[Project]:
    """Staff's projects list with what each row shows (overdue reports, changes and payments waiting), one query."""
    projects = project_queryset().annotate(
        overdue_reports=Count(
            "reports",
            filter=Q(
                reports__state=ReportState.DRAFT,
                reports__due_date__lt=today(),
                state=ProjectState.IN_DELIVERY,
            ),
            distinct=True,
        ),
        reports_waiting=Count("reports", filter=Q(reports__state=ReportState.CERTIFIED), distinct=True),
        changes_waiting=Count("variations", filter=Q(variations__status=VariationStatus.REQUESTED), distinct=True),
        payments_waiting=Exists(Payment.objects.filter(project=OuterRef("pk"), status=PaymentStatus.PROPOSED)),
    )
    if round_code:
        projects = projects.filter(bid__funding_round__code__iexact=round_code)
    if state:
        projects = projects.filter(state=state)
    return projects.order_by("reference")


def reports_due_for_reminders(*, on: date) -> QuerySet[MonitoringReport]:
    """Draft reports of projects in delivery due within REPORT_DUE_SOON_DAYS days, or overdue."""
    return (
        MonitoringReport.objects.filter(
            state=ReportState.DRAFT,
            project__state=ProjectState.IN_DELIVERY,
            due_date__lte=on + timedelta(days=REPORT_DUE_SOON_DAYS),
        )
        .select_related("project__lead_council", "project__bid__funding_round")
        .order_by("due_date", "pk")
    )


def offers_not_accepted() -> QuerySet[Project]:
    return project_queryset().filter(state=ProjectState.OFFERED).order_by("offered_at", "pk")


def report_get_for_user(*, user: User, reference: str, pk: int) -> MonitoringReport:
    project = project_get_for_user(user=user, reference=reference)
    report = project.reports.filter(pk=pk).first()
    if report is None:
        raise Http404("No report found")
    report.project = project
    return report


def variation_get_for_user(*, user: User, reference: str, pk: int) -> Variation:
    project = project_get_for_user(user=user, reference=reference)
    variation = project.variations.select_related("requested_by", "decided_by").filter(pk=pk).first()
    if variation is None:
        raise Http404("No change found")
    variation.project = project
    return variation


def milestones_with_payments(*, project: Project) -> list:
    return list(
        project.milestones.order_by("due_date", "pk").prefetch_related(
            Prefetch("payment", queryset=Payment.objects.select_related("proposed_by", "approved_by"))
        )
    )


# --- What the programme's pages above projects read: the dashboard, finance, open data, the API -------------


def delivery_summary(*, round_ids: list[int] | None = None) -> dict:
    """The delivery half of the programme, for the staff dashboard (all rounds, or the rounds given): projects by
    state, money awarded / paid / still due, the spend councils last reported (their latest accepted report)
    against the award, reports overdue, and reuse. Three queries at any size."""
    projects = Project.objects.all()
    if round_ids is not None:
        projects = projects.filter(bid__funding_round_id__in=round_ids)
    paid = (
        Payment.objects.filter(project=OuterRef("pk"), status=PaymentStatus.APPROVED)
        .order_by()
        .values("project")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    latest_accepted = (
        MonitoringReport.objects.filter(project=OuterRef("pk"), state=ReportState.ACCEPTED)
        .exclude(spend_to_date__isnull=True)
        .order_by("-due_date", "-pk")
        .values("spend_to_date")[:1]
    )
    late = MonitoringReport.objects.filter(project=OuterRef("pk"), state=ReportState.DRAFT, due_date__lt=today())
    counts = dict.fromkeys(ProjectState.values, 0)
    totals = dict.fromkeys(("awarded", "awarded_live", "paid", "paid_live", "spent", "reporting_award"), ZERO)
    reporting = overdue = 0
    rows = (
        projects.annotate(paid=_money(Subquery(paid)), latest_spend=Subquery(latest_accepted), late=Exists(late))
        .values("state")
        .annotate(
            n=Count("pk"),
            awarded=_money(Sum("award_amount")),
            paid_total=_money(Sum("paid")),
            spent=_money(Sum("latest_spend")),
            reporting=Count("pk", filter=Q(latest_spend__isnull=False)),
            reporting_award=_money(Sum("award_amount", filter=Q(latest_spend__isnull=False))),
            overdue=Count("pk", filter=Q(late=True)),
        )
        .order_by()
    )
    for row in rows:  # one row per state
        live = row["state"] not in NOTHING_DUE
        counts[row["state"]] = row["n"]
        totals["awarded"] += row["awarded"]
        totals["paid"] += row["paid_total"]
        if live:
            totals["awarded_live"] += row["awarded"]
            totals["paid_live"] += row["paid_total"]
        totals["spent"] += row["spent"]
        totals["reporting_award"] += row["reporting_award"]
        reporting += row["reporting"]
        if row["state"] == ProjectState.IN_DELIVERY:
            overdue = row["overdue"]
    reuses = Reuse.objects.filter(project__in=projects).aggregate(
        records=Count("pk"), councils=Count("council", distinct=True), projects=Count("project", distinct=True)
    )
    return {
        "counts": [(state, label, counts[state]) for state, label in ProjectState.choices],
        "total": sum(counts.values()),
        "awarded": totals["awarded"],
        "paid": totals["paid"],
        "due": max(totals["awarded_live"] - totals["paid_live"], ZERO),
        "spent": totals["spent"],
        "reporting": reporting,
        "reporting_award": totals["reporting_award"],
        "overdue": overdue,
        "reuses": reuses["records"],
        "reusing_councils": reuses["councils"],
        "reused_projects": reuses["projects"],
    }


def finance_rows() -> QuerySet[Payment]:
    """Every scheduled payment with its project, milestone and who proposed and approved it, round by round:
    the finance team's CSV (streamed: `iterator()`)."""
    return Payment.objects.select_related(
        "project__bid__funding_round", "project__lead_council", "milestone", "proposed_by", "approved_by"
    ).order_by("project__bid__funding_round__opens_at", "project__reference", "milestone__due_date", "pk")


# Where a project's public record changes besides its own row (`updated_at`): its transitions, payments approved,
# changes decided, outputs and reuse. The open data's `dateModified` and the public pages' Last-Modified read it.
PUBLIC_CHANGES = (
    (ProjectTransition, "at"),
    (Payment, "approved_at"),
    (Variation, "decided_at"),
    (ProjectOutput, "added_at"),
    (Reuse, "recorded_at"),
)


def _newest(model, field: str, **filters: object) -> Subquery:
    rows = model.objects.filter(**filters, **{f"{field}__isnull": False}).order_by(f"-{field}")
    return Subquery(rows.values(field)[:1])


def projects_modified_at(*, bid_ids: list[int]) -> dict[int, datetime]:
    """For each awarded bid's project, when anything public about it last changed (`PUBLIC_CHANGES`): the open
    data's `dateModified`. One query per call, whatever the number of bids."""
    changes = {
        f"change_{i}": _newest(model, field, project=OuterRef("pk")) for i, (model, field) in enumerate(PUBLIC_CHANGES)
    }
    rows = Project.objects.filter(bid_id__in=bid_ids).annotate(**changes).values_list("bid_id", "updated_at", *changes)
    return {bid_id: max(at for at in times if at is not None) for bid_id, *times in rows}


def public_project_details(*, bid_ids: list[int]) -> dict[int, Project]:
    """The projects of these awarded bids with their outputs and the councils reusing them (three queries), for
    the public funded-projects page."""
    projects = Project.objects.filter(bid_id__in=bid_ids).prefetch_related(
        "outputs", Prefetch("reuses", queryset=Reuse.objects.select_related("council").order_by("recorded_at", "pk"))
    )
    return {project.bid_id: project for project in projects}


def money_by_round(*, round_ids: list[int] | None = None) -> list[dict]:
    """Per round (newest first): projects, awarded, paid and still due, grouped in the database (two queries)."""
    projects = Project.objects.all()
    if round_ids is not None:
        projects = projects.filter(bid__funding_round_id__in=round_ids)
    rows = {
        row["bid__funding_round_id"]: row
        for row in projects.values("bid__funding_round_id", "bid__funding_round__name", "bid__funding_round__code")
        .annotate(
            projects=Count("pk"),
            awarded=_money(Sum("award_amount")),
            awarded_live=_money(Sum("award_amount", filter=~Q(state__in=NOTHING_DUE))),
        )
        .order_by("-bid__funding_round__opens_at")
    }
    paid = {
        round_id: (all_paid, live_paid)
        for round_id, all_paid, live_paid in Payment.objects.filter(project__in=projects, status=PaymentStatus.APPROVED)
        .values("project__bid__funding_round_id")
        .annotate(
            all_paid=_money(Sum("amount")),
            live_paid=_money(Sum("amount", filter=~Q(project__state__in=NOTHING_DUE))),
        )
        .order_by()
        .values_list("project__bid__funding_round_id", "all_paid", "live_paid")
    }
    result = []
    for round_id, row in rows.items():
        row_paid, live_paid = paid.get(round_id, (ZERO, ZERO))
        result.append(
            {
                "name": row["bid__funding_round__name"],
                "code": row["bid__funding_round__code"],
                "projects": row["projects"],
                "awarded": row["awarded"],
                "paid": row_paid,
                "due": max(row["awarded_live"] - live_paid, ZERO),
            }
        )
    return result


def projects_last_changed() -> datetime | None:
    """When anything the public pages and the open data show of projects last changed (a project's row and
    `PUBLIC_CHANGES`; a report's transition too, for the dashboard's reported spend): for the public pages'
    Last-Modified and the dashboard's delivery section. One query of newest-first lookups."""
    sources = ((Project, "updated_at"), *PUBLIC_CHANGES, (ReportTransition, "at"))
    changes = {f"change_{i}": _newest(model, field) for i, (model, field) in enumerate(sources)}
    row = Project.objects.order_by().annotate(**changes).values_list(*changes)[:1]
    found = [at for at in (row[0] if row else ()) if at is not None]
    return max(found) if found else None


def state_refusal(project: Project, consequence: str) -> str:
    """What a project's state means for a step, in the one way services, selectors and pages say it."""
    return f"This project is {project.get_state_display().lower()}, so {consequence}"


def certify_refusal(*, report: MonitoringReport, user: User) -> str:
    """Why this certifier may not certify this report ("" if they may): a report is certified by someone other
    than the person who submitted it, so two people vouch for every figure the fund receives. Nothing is certified
    once the project has left delivery."""
    if not conditions.project_in_delivery(report):
        return state_refusal(report.project, "its reports are closed")
    if report.submitted_by_id is not None and report.submitted_by_id == getattr(user, "pk", None):
        return (
            "You submitted this report, so someone else must certify it. Ask another member of your council to "
            "submit it, or choose another certifier"
        )
    return ""


def project_council_ids(*, project: Project) -> set[int]:
    """The councils delivering the project: its lead and its confirmed partners."""
    partners = project.bid.partners.all()
    return {project.lead_council_id, *(p.council_id for p in partners if p.status == PartnerStatus.CONFIRMED)}


def councils_that_may_record_reuse(*, project: Project, user: User) -> QuerySet[Council]:
    """The Declaration signatory councils `user` belongs to that do not deliver `project`: those that may say they
    reuse its outputs (reuse by other councils is the fund's measure, so the project's own do not count)."""
    return Council.objects.filter(
        pk__in=user_council_ids(user) - project_council_ids(project=project), declaration_signed_on__isnull=False
    )

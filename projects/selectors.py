"""Every non-trivial read about projects: who may see which, who hears what, the report schedule, money.

The pages, the later API and the public pages read through these, so one rule decides what each person sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, DecimalField, Exists, OuterRef, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from bids.choices import PartnerStatus
from councils.models import User
from councils.selectors import council_members, user_council_ids
from projects.choices import PaymentStatus, ProjectState, ReportKind, ReportState, VariationStatus
from projects.models import MonitoringReport, Payment, Project, ProjectTransition, Variation

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
    now = today()
    for report in reports:
        report.is_overdue = report.state == ReportState.DRAFT and report.due_date < now
    return {
        "milestones": milestones,
        "reports": reports,
        "variations": variations,
        "outputs": outputs,
        "reuses": reuses,
        "money": project_money(project=project),
    }


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


@dataclass(frozen=True)
class Money:
    awarded: Decimal
    scheduled: Decimal
    paid: Decimal
    due: Decimal  # awarded less paid, for a live or completed project (nothing is due on a withdrawn one)


def _money_annotations() -> dict:
    return {
        "scheduled_total": _money(Sum("payments__amount")),
        "paid_total": _money(Sum("payments__amount", filter=Q(payments__status=PaymentStatus.APPROVED))),
    }


def _as_money(awarded: Decimal, scheduled: Decimal, paid: Decimal, withdrawn: bool) -> Money:
    return Money(awarded=awarded, scheduled=scheduled, paid=paid, due=ZERO if withdrawn else awarded - paid)


def project_money(*, project: Project) -> Money:
    totals = Payment.objects.filter(project=project).aggregate(
        scheduled=_money(Sum("amount")), paid=_money(Sum("amount", filter=Q(status=PaymentStatus.APPROVED)))
    )
    return _as_money(project.award_amount, totals["scheduled"], totals["paid"], project.state == ProjectState.WITHDRAWN)


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
                project.state == ProjectState.WITHDRAWN,
            ),
        )
        for project in projects.order_by("reference")
    ]


def money_by_round() -> list[dict]:
    """Per round: its name and code, awarded, paid and due, over its projects (two queries)."""
    rows: dict[int, dict] = {}
    for project, money in money_by_project(project_queryset()):
        funding_round = project.bid.funding_round
        row = rows.setdefault(
            funding_round.pk,
            {"round": funding_round, "awarded": ZERO, "paid": ZERO, "due": ZERO, "projects": 0},
        )
        row["awarded"] += money.awarded
        row["paid"] += money.paid
        row["due"] += money.due
        row["projects"] += 1
    return list(rows.values())


def project_counts_by_state() -> dict[str, int]:
    counts = dict.fromkeys(ProjectState.values, 0)
    for row in Project.objects.values("state").annotate(n=Count("pk")):
        counts[row["state"]] = row["n"]
    return counts


# --- Staff lists ------------------------------------------------------------------------------------------


def overdue_reports() -> QuerySet[MonitoringReport]:
    return MonitoringReport.objects.filter(
        state=ReportState.DRAFT, due_date__lt=today(), project__state=ProjectState.IN_DELIVERY
    )


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

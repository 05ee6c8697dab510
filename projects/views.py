"""Project pages: the lead council's and partners' (under /projects/) and programme staff's (under
/pipeline/projects/). Views are thin: a selector fetches (404 if not allowed), a service writes; a refused write
re-renders the page with what was typed, a GOV.UK error summary and HTTP 400, and nothing is saved."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from bids.models import FundingRound
from core.editing import fingerprint, form_after_conflict
from core.exceptions import ApplicationError, EditConflictError, Problem, Refused
from core.formatting import govuk_date, money
from core.forms import accepted_filters, apply_problems, date_initial
from core.views import form_methods, form_page, posted, posted_files, staff_required
from councils.selectors import council_members
from projects import services
from projects.choices import (
    PaymentStatus,
    ProjectState,
    Rag,
    ReportState,
    VariationKind,
    VariationStatus,
)
from projects.conditions import milestones_without_evidence
from projects.forms import (
    AcceptOfferForm,
    CertifierForm,
    EvidenceForm,
    LessonsForm,
    MessageForm,
    MilestoneForm,
    OutputForm,
    PaidOnForm,
    ProjectFilterForm,
    ReasonForm,
    ReportForm,
    ReuseForm,
    VariationForm,
    VariationKindForm,
)
from projects.models import Project
from projects.selectors import (
    certify_refusal,
    councils_that_may_record_reuse,
    lessons_now,
    milestone_now,
    milestones_with_payments,
    project_get_for_user,
    project_history,
    project_list_for_staff,
    project_money,
    project_overview,
    projects_for_user,
    public_projects,
    report_answers_now,
    report_get_for_user,
    state_refusal,
    variation_get_for_user,
)


def _choose_action(request: HttpRequest, template: str, context: dict, choices: str) -> HttpResponse:
    """A POST that names none of the page's buttons (a broken or crafted request): said so, nothing changed."""
    return form_page(
        request, template, {**context, "problems": [Problem(f"Choose what to do: {choices}")]}, refused=True
    )


def _report_answer_rows(answers: dict) -> list[tuple[str, str]]:
    """A report's saved answers as summary-list rows, labelled as its form labels them."""
    rows = []
    for name, value in answers.items():
        if name in ("spend_to_date", "spend_planned"):
            shown = "" if value is None else money(value, pence=True)
        elif name == "rag":
            shown = Rag(value).label if value else ""
        else:
            shown = value or ""
        rows.append((ReportForm.base_fields[name].label, shown))
    return rows


def _refused(request: HttpRequest, template: str, context: dict, form: Any, error: ApplicationError) -> HttpResponse:
    """The page again with the service's refusal: on the form's fields when the form was sent, otherwise (an
    action that sends no form) in the error summary alone."""
    if not form.is_bound:
        return form_page(request, template, {**context, "problems": error.problems}, refused=True)
    apply_problems(form, error)
    return form_page(request, template, {**context, "form": form}, refused=True)


# The states in which a project's final report is in (it completed the project), and those after its offer was
# accepted.
REPORTED = (ProjectState.COMPLETED, ProjectState.CLOSED)
ACCEPTED = (ProjectState.IN_DELIVERY, *REPORTED)


def _not_now(
    request: HttpRequest, project: Project, consequence: str, done: tuple[tuple[str, ...], str] = ((), "")
) -> HttpResponse:
    """Back to the project's page, saying why a step's page is closed: what the project's state means for the
    step, or, in the states of `done`, that the step has been taken (what to say then)."""
    states, message = done
    if project.state not in states:
        message = state_refusal(project, consequence)
    messages.info(request, message)
    return redirect("projects:detail", reference=project.reference)


def _project(request: HttpRequest, reference: str, perm: str | None = None) -> Project:
    project = project_get_for_user(user=request.user, reference=reference)
    if perm is not None and not request.user.has_perm(perm, project):
        raise Http404("No project found")
    return project


def _file(field: Any, name: str, content_type: str) -> FileResponse:
    if not field:
        raise Http404("No file")
    try:
        handle = field.open("rb")
    except FileNotFoundError as error:
        raise Http404("No file") from error
    return FileResponse(handle, as_attachment=True, filename=name, content_type=content_type)


def _context(request: HttpRequest, project: Project, **extra: Any) -> dict:
    user = request.user
    return {
        "project": project,
        "is_lead": user.has_perm("projects.accept_offer", project),
        "is_staff_user": user.has_perm("projects.view_all_projects"),
        "payable": project.state in services.PAYABLE,
        "certifier_open": project.state in services.CERTIFIER_STATES,
        **extra,
    }


# --- The council's pages ------------------------------------------------------------------------------------


@login_required
@require_safe
def project_list(request: HttpRequest) -> HttpResponse:
    if request.user.has_perm("projects.view_all_projects"):
        return redirect("projects:staff_list")
    projects = list(projects_for_user(request.user).order_by("reference"))
    return render(request, "projects/project_list.html", {"projects": projects})


@login_required
@require_safe
def project_detail(request: HttpRequest, reference: str) -> HttpResponse:
    project = _project(request, reference)
    context = _context(request, project, **project_overview(project=project))
    context["can_record_reuse"] = request.user.has_perm("projects.record_reuse", project)
    return render(request, "projects/project_detail.html", context)


@login_required
@form_methods
def offer_accept(request: HttpRequest, reference: str) -> HttpResponse:
    project = _project(request, reference, "projects.accept_offer")
    if project.state != ProjectState.OFFERED:
        return _not_now(
            request, project, "its offer cannot be accepted", done=(ACCEPTED, "The offer has already been accepted")
        )
    form = AcceptOfferForm(posted(request), posted_files(request))
    context = _context(request, project, form=form)
    if request.method == "POST" and form.is_valid():
        try:
            services.offer_accept(
                project=project,
                by=request.user,
                conditions_confirmed=form.cleaned_data["confirm"],
                upload=form.cleaned_data.get("agreement"),
            )
        except ApplicationError as error:
            return _refused(request, "projects/accept.html", context, form, error)
        return render(request, "projects/accepted.html", _context(request, project))
    return form_page(request, "projects/accept.html", context, refused=bool(form.errors))


@login_required
@require_safe
def agreement_download(request: HttpRequest, reference: str) -> FileResponse:
    project = _project(request, reference)
    return _file(project.agreement, project.agreement_name, project.agreement_content_type)


@login_required
@require_safe
def evidence_download(request: HttpRequest, reference: str, pk: int) -> FileResponse:
    project = _project(request, reference)
    milestone = project.milestones.filter(pk=pk).first()
    if milestone is None:
        raise Http404("No milestone")
    return _file(milestone.evidence_file, milestone.evidence_file_name, milestone.evidence_file_content_type)


@login_required
@form_methods
def certifier_choose(request: HttpRequest, reference: str) -> HttpResponse:
    project = _project(request, reference, "projects.appoint_certifier")
    if project.state not in services.CERTIFIER_STATES:
        return _not_now(request, project, "its reports no longer need a certifier")
    members = council_members(council_ids=[project.lead_council_id])
    current = getattr(project, "certifier", None)
    initial = {"user": str(current.user_id), "role_title": current.role_title} if current else None
    form = CertifierForm(posted(request), members=members, initial=initial)
    context = _context(request, project, form=form)
    if request.method == "POST" and form.is_valid():
        user = next(m for m in members if str(m.pk) == form.cleaned_data["user"])
        try:
            services.certifier_appoint(
                project=project, by=request.user, user=user, role_title=form.cleaned_data["role_title"]
            )
        except ApplicationError as error:
            return _refused(request, "projects/certifier.html", context, form, error)
        messages.success(request, f"{user.full_name or user.email} will certify the reports")
        return redirect("projects:detail", reference=project.reference)
    return form_page(request, "projects/certifier.html", context, refused=bool(form.errors))


@login_required
@form_methods
def milestone_evidence(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    project = _project(request, reference, "projects.submit_evidence")
    milestone = project.milestones.select_related("payment").filter(pk=pk).first()
    if milestone is None:
        raise Http404("No milestone")
    milestone.project = project
    if request.method != "POST" and project.state not in services.IN_DELIVERY:
        return _not_now(request, project, "evidence cannot be submitted")
    if request.method != "POST" and milestone.payment.status != PaymentStatus.SCHEDULED:
        # Once its payment is under way the evidence is fixed: the page says so rather than offer a form.
        messages.info(request, f"The payment for ‘{milestone.title}’ is under way, so its evidence is fixed")
        return redirect("projects:detail", reference=project.reference)
    form = EvidenceForm(posted(request), posted_files(request), initial={"evidence": milestone.evidence})
    context = _context(request, project, form=form, milestone=milestone)
    if request.method == "POST" and form.is_valid():
        try:
            services.milestone_submit_evidence(
                milestone=milestone,
                by=request.user,
                evidence=form.cleaned_data["evidence"],
                upload=form.cleaned_data.get("evidence_file"),
            )
        except ApplicationError as error:
            return _refused(request, "projects/evidence.html", context, form, error)
        messages.success(request, f"Evidence for ‘{milestone.title}’ has been sent to the programme team")
        return redirect("projects:detail", reference=project.reference)
    return form_page(request, "projects/evidence.html", context, refused=bool(form.errors))


@login_required
@form_methods
def report_detail(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    report = report_get_for_user(user=request.user, reference=reference, pk=pk)
    project = report.project
    editable = (
        report.state == ReportState.DRAFT
        and project.state == ProjectState.IN_DELIVERY
        and request.user.has_perm("projects.edit_report", project)
    )
    answers = report_answers_now(report=report)
    initial: dict[str, object] = {**answers, "seen": fingerprint(answers)}
    for name in ("spend_to_date", "spend_planned"):
        initial[name] = "" if initial[name] is None else f"{initial[name]:.2f}"
    form = ReportForm(posted(request), initial=initial) if editable else None
    context = _context(
        request,
        project,
        report=report,
        form=form,
        can_certify=report.state == ReportState.SUBMITTED and request.user.has_perm("projects.certify_report", report),
        certify_refusal=certify_refusal(report=report, user=request.user),
    )
    if request.method == "POST":
        if not request.user.has_perm("projects.edit_report", project):
            raise Http404("No report found")
        if form is None:
            messages.info(request, "This report can no longer be changed")
            return redirect("projects:report", reference=project.reference, pk=report.pk)
        if form.is_valid():
            values = dict(form.cleaned_data)
            try:
                report = services.report_update(report=report, by=request.user, values=values, seen=values.pop("seen"))
            except EditConflictError as conflict:
                # What was typed stays; a second save is a deliberate one over the colleague's answers.
                form = form_after_conflict(ReportForm, request.POST, conflict, initial=initial)
                rows = _report_answer_rows(conflict.current)
                return form_page(
                    request, "projects/report.html", {**context, "form": form, "conflict_rows": rows}, refused=True
                )
            except ApplicationError as error:
                return _refused(request, "projects/report.html", context, form, error)
            if request.POST.get("action") == "submit":
                try:
                    services.report_submit(report=report, by=request.user)
                except ApplicationError as error:
                    # What was typed is kept (saved as the draft), and the page says so beside what is missing;
                    # its next save is based on the draft just saved.
                    messages.info(request, "Your draft has been saved, but it has not been sent")
                    data = request.POST.copy()
                    data["seen"] = fingerprint(report_answers_now(report=report))
                    form = ReportForm(data, initial=initial)
                    form.is_valid()
                    return _refused(request, "projects/report.html", context, form, error)
                messages.success(request, "Your report has been sent to your certifier")
                return redirect("projects:detail", reference=project.reference)
            messages.success(request, "Your draft has been saved")
            return redirect("projects:report", reference=project.reference, pk=report.pk)
        return form_page(request, "projects/report.html", context, refused=True)
    return render(request, "projects/report.html", context)


@login_required
@require_POST
def report_certify(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    report = report_get_for_user(user=request.user, reference=reference, pk=pk)
    if not request.user.has_perm("projects.certify_report", report):
        raise Http404("No report found")
    try:
        services.report_certify(report=report, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("projects:report", reference=reference, pk=pk)
    messages.success(request, "You have certified the report. The programme team will review it")
    return redirect("projects:detail", reference=reference)


@login_required
@form_methods
def variation_new(request: HttpRequest, reference: str) -> HttpResponse:
    project = _project(request, reference, "projects.request_variation")
    kind = request.GET.get("kind") or request.POST.get("kind") or ""
    if kind not in VariationKind.values:
        # First, which kind of change: chosen, it leads to that change's form (?kind=…); sent without a choice, or
        # with one that does not exist, the question is asked again with the reason.
        if request.method == "POST":
            sent = request.POST
        else:
            sent = {f"{VariationKindForm.prefix}-kind": kind} if "kind" in request.GET else None
        chooser = VariationKindForm(sent)
        if sent is not None and chooser.is_valid():
            return redirect(f"{request.path}?kind={chooser.cleaned_data['kind']}")
        context = _context(request, project, form=chooser)
        return form_page(request, "projects/variation_kind.html", context, refused=bool(chooser.errors))
    milestones = milestones_with_payments(project=project)
    lines = list(project.budget_lines.all())
    form = VariationForm(posted(request), kind=kind, milestones=milestones, budget_lines=lines)
    context = _context(
        request,
        project,
        form=form,
        kind=kind,
        kind_label=VariationKind(kind).label,
        budget_total=sum((line.amount for line in lines), Decimal("0")),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.variation_request(
                project=project,
                by=request.user,
                kind=kind,
                reasons=form.cleaned_data["reasons"],
                changes=form.changes(),
            )
        except ApplicationError as error:
            return _refused(request, "projects/variation_new.html", context, form, error)
        messages.success(request, "Your change request has been sent to the programme team")
        return redirect("projects:detail", reference=project.reference)
    return form_page(request, "projects/variation_new.html", context, refused=bool(form.errors))


@login_required
@form_methods
def final_report(request: HttpRequest, reference: str) -> HttpResponse:
    project = _project(request, reference, "projects.submit_final_report")
    lessons_initial = {"lessons_learned": project.lessons_learned, "seen": fingerprint(lessons_now(project=project))}
    lessons = LessonsForm(
        request.POST if request.POST.get("action") in ("lessons", "submit") else None, initial=lessons_initial
    )
    output = OutputForm(request.POST if request.POST.get("action") == "output" else None)
    context = _context(
        request,
        project,
        lessons=lessons,
        output_form=output,
        outputs=list(project.outputs.all()),
        not_yet=milestones_without_evidence(project),
    )
    if project.state != ProjectState.IN_DELIVERY:
        return _not_now(
            request, project, "it has no final report to write", done=(REPORTED, "The final report has been submitted")
        )
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "output" and output.is_valid():
                services.output_add(project=project, by=request.user, **output.cleaned_data)
                messages.success(request, "The output has been added")
                return redirect("projects:final_report", reference=project.reference)
            if action in ("lessons", "submit") and lessons.is_valid():
                try:
                    services.final_report_update(
                        project=project,
                        by=request.user,
                        lessons_learned=lessons.cleaned_data["lessons_learned"],
                        seen=lessons.cleaned_data["seen"],
                    )
                except EditConflictError as conflict:
                    # What was typed stays; a second save is a deliberate one over the colleague's lessons.
                    lessons = form_after_conflict(LessonsForm, request.POST, conflict, initial=lessons_initial)
                    rows = [("Lessons learned", conflict.current["lessons_learned"])]
                    context.update(lessons=lessons, conflict_rows=rows)
                    return form_page(request, "projects/final_report.html", context, refused=True)
                if action == "submit":
                    try:
                        services.project_complete(project=project, by=request.user)
                    except ApplicationError:
                        messages.info(request, "Your lessons learned have been saved, but the report has not been sent")
                        # The page's next save is based on the lessons just saved.
                        data = request.POST.copy()
                        data["seen"] = fingerprint(lessons_now(project=project))
                        lessons = LessonsForm(data, initial=lessons_initial)
                        lessons.is_valid()
                        context["lessons"] = lessons
                        raise
                    messages.success(request, "Your final report has been sent. The project is completed")
                    return redirect("projects:detail", reference=project.reference)
                messages.success(request, "Lessons learned saved")
                return redirect("projects:final_report", reference=project.reference)
        except ApplicationError as error:
            apply_problems(output if action == "output" else lessons, error)
            return form_page(request, "projects/final_report.html", context, refused=True)
        if action not in ("output", "lessons", "submit"):
            return _choose_action(
                request,
                "projects/final_report.html",
                context,
                "add an output, save the lessons learned or send the final report",
            )
        return form_page(request, "projects/final_report.html", context, refused=True)
    return render(request, "projects/final_report.html", context)


@login_required
@require_POST
def output_remove(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    project = _project(request, reference, "projects.submit_final_report")
    output = project.outputs.filter(pk=pk).first()
    if output is None:
        raise Http404("No output")
    output.project = project
    try:
        services.output_remove(output=output, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("projects:final_report", reference=project.reference)


@login_required
@form_methods
def reuse_record(request: HttpRequest, reference: str) -> HttpResponse:
    project = public_projects().filter(reference=reference).first()
    if project is None:
        raise Http404("No project found")
    if not request.user.has_perm("projects.record_reuse", project):
        # Linked from every funded project's public card: said in words, not as a page that does not exist.
        raise Refused(
            "Only members of councils that have signed the Local Digital Declaration, and do not deliver this "
            "project themselves, can say their council reuses it"
        )
    taken = set(project.reuses.values_list("council_id", flat=True))
    mine = list(councils_that_may_record_reuse(project=project, user=request.user).order_by("official_name"))
    councils = [council for council in mine if council.pk not in taken]
    sent = request.POST.get("council") if request.method == "POST" else None
    already = next((c for c in mine if str(c.pk) == sent and c.pk in taken), None)
    if already is not None:
        # Sent again (Back and resend, or a double click): it is recorded, which is what was asked.
        messages.info(request, f"{already} is already listed as reusing this project’s outputs")
        return redirect("projects:reuse", reference=project.reference)
    form = ReuseForm(posted(request), councils=councils)
    context = _context(request, project, form=form, councils=councils)
    if request.method == "POST" and form.is_valid():
        council = next(c for c in councils if str(c.pk) == form.cleaned_data["council"])
        try:
            services.reuse_record(project=project, by=request.user, council=council, note=form.cleaned_data["note"])
        except ApplicationError as error:
            return _refused(request, "projects/reuse.html", context, form, error)
        messages.success(request, f"Thank you: {council} is now listed as reusing this project’s outputs")
        return redirect("projects:reuse", reference=project.reference)
    return form_page(request, "projects/reuse.html", context, refused=bool(form.errors))


# --- Programme staff's pages -----------------------------------------------------------------------------------


@staff_required
@require_safe
def staff_project_list(request: HttpRequest) -> HttpResponse:
    rounds = list(FundingRound.objects.order_by("-opens_at").values_list("code", "name"))
    form = ProjectFilterForm(request.GET or None, rounds=rounds)
    filters = accepted_filters(form)
    projects = project_list_for_staff(round_code=filters.get("round", ""), state=filters.get("state", ""))
    page = Paginator(projects, 50).get_page(request.GET.get("page"))
    query = urlencode({name: value for name, value in filters.items() if value})
    return form_page(
        request,
        "projects/staff_list.html",
        {"form": form, "page": page, "query": query},
        refused=bool(form.is_bound and form.errors),
    )


def _staff_project(request: HttpRequest, reference: str) -> Project:
    return project_get_for_user(user=request.user, reference=reference)


@staff_required
@require_safe
def staff_project_detail(request: HttpRequest, reference: str) -> HttpResponse:
    project = _staff_project(request, reference)
    overview = project_overview(project=project)
    overview["milestones"] = milestones_with_payments(project=project)
    context = _context(request, project, history=project_history(project=project), **overview)
    return render(request, "projects/staff_detail.html", context)


@staff_required
@form_methods
def staff_milestone(request: HttpRequest, reference: str, pk: int | None = None) -> HttpResponse:
    project = _staff_project(request, reference)
    milestone = None
    initial: dict = {}
    if pk is not None:
        milestone = project.milestones.select_related("payment").filter(pk=pk).first()
        if milestone is None:
            raise Http404("No milestone")
        milestone.project = project
        initial = {
            "title": milestone.title,
            "amount": f"{milestone.payment.amount:.2f}",
            "seen": fingerprint(milestone_now(milestone=milestone)),
        }
    form = MilestoneForm(
        posted(request), initial={**initial, **date_initial("due_date", milestone and milestone.due_date)}
    )
    context = _context(request, project, form=form, milestone=milestone)
    if request.method == "POST" and request.POST.get("action") == "remove" and milestone is not None:
        try:
            services.milestone_remove(milestone=milestone, by=request.user)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("projects:staff_milestone", reference=project.reference, pk=milestone.pk)
        messages.success(request, "The milestone has been removed")
        return redirect("projects:staff_detail", reference=project.reference)
    if request.method == "POST" and form.is_valid():
        values = {k: form.cleaned_data[k] for k in ("title", "due_date", "amount")}
        try:
            if milestone is None:
                services.milestone_add(project=project, by=request.user, **values)
            else:
                seen = form.cleaned_data["seen"]
                services.milestone_change(milestone=milestone, by=request.user, seen=seen, **values)
        except EditConflictError as conflict:
            dates = date_initial("due_date", milestone and milestone.due_date)
            form = form_after_conflict(MilestoneForm, request.POST, conflict, initial={**initial, **dates})
            saved = conflict.current
            rows = [
                ("Milestone", saved["title"]),
                ("Due", govuk_date(saved["due_date"])),
                ("Payment when it is met", money(saved["amount"], pence=True)),
            ]
            return form_page(
                request, "projects/staff_milestone.html", {**context, "form": form, "conflict_rows": rows}, refused=True
            )
        except ApplicationError as error:
            return _refused(request, "projects/staff_milestone.html", context, form, error)
        messages.success(request, "The schedule has been saved")
        return redirect("projects:staff_detail", reference=project.reference)
    return form_page(request, "projects/staff_milestone.html", context, refused=bool(form.errors))


@staff_required
@form_methods
def staff_payment(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    project = _staff_project(request, reference)
    payment = project.payments.select_related("milestone", "proposed_by", "approved_by").filter(pk=pk).first()
    if payment is None:
        raise Http404("No payment")
    payment.project = project
    action = request.POST.get("action") if request.method == "POST" else None
    # The day it is paid is asked only when approving: a refused proposal says why, not "Enter the day it is paid".
    form = PaidOnForm(
        request.POST if action == "approve" else None, initial=date_initial("paid_on", timezone.localdate())
    )
    context = _context(request, project, payment=payment, form=form)
    if request.method == "POST":
        try:
            if action == "propose":
                services.payment_propose(payment=payment, by=request.user)
                messages.success(request, f"Payment of {money(payment.amount, pence=True)} proposed for approval")
            elif action == "approve" and form.is_valid():
                services.payment_approve(payment=payment, by=request.user, paid_on=form.cleaned_data["paid_on"])
                messages.success(request, f"Payment of {money(payment.amount, pence=True)} approved")
            elif action == "approve":
                return form_page(request, "projects/staff_payment.html", context, refused=True)
            else:
                return _choose_action(request, "projects/staff_payment.html", context, "propose or approve the payment")
        except ApplicationError as error:
            return _refused(request, "projects/staff_payment.html", context, form, error)
        return redirect("projects:staff_detail", reference=project.reference)
    return render(request, "projects/staff_payment.html", context)


@staff_required
@form_methods
def staff_report(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    report = report_get_for_user(user=request.user, reference=reference, pk=pk)
    project = report.project
    form = MessageForm(posted(request))
    context = _context(request, project, report=report, form=form, history=list(report.history.select_related("by")))
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "accept":
                services.report_accept(report=report, by=request.user)
                messages.success(request, "The report has been accepted")
            elif action == "return" and form.is_valid():
                services.report_return(report=report, by=request.user, message=form.cleaned_data["message"])
                messages.success(request, "The report has been returned to the council")
            elif action == "return":
                return form_page(request, "projects/staff_report.html", context, refused=True)
            else:
                return _choose_action(
                    request, "projects/staff_report.html", context, "accept the report or return it to the council"
                )
        except ApplicationError as error:
            return _refused(request, "projects/staff_report.html", context, form, error)
        return redirect("projects:staff_detail", reference=project.reference)
    return render(request, "projects/staff_report.html", context)


@staff_required
@form_methods
def staff_variation(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    variation = variation_get_for_user(user=request.user, reference=reference, pk=pk)
    project = variation.project
    form = ReasonForm(posted(request))
    milestones = {str(m.pk): m for m in milestones_with_payments(project=project)}
    payments = {str(m.payment.pk): m for m in milestones.values()}
    lines = {str(line.pk): line for line in project.budget_lines.all()}
    rows = []
    for key, value in variation.changes.items():
        if variation.kind == VariationKind.DATES and key in milestones:
            new_date = date.fromisoformat(value)
            rows.append((milestones[key].title, govuk_date(milestones[key].due_date), govuk_date(new_date)))
        elif variation.kind == VariationKind.MONEY and key in payments:
            rows.append((payments[key].title, money(payments[key].payment.amount), money(Decimal(value))))
        elif variation.kind == VariationKind.BUDGET and key in lines:
            rows.append((lines[key].description, money(lines[key].amount), money(Decimal(value))))
    context = _context(request, project, variation=variation, form=form, rows=rows)
    if request.method == "POST" and variation.status == VariationStatus.REQUESTED:
        action = request.POST.get("action")
        try:
            if action == "approve" and form.is_valid():
                services.variation_approve(variation=variation, by=request.user, reason=form.cleaned_data["reason"])
                applied = "budget" if variation.kind == VariationKind.BUDGET else "schedule"
                messages.success(request, f"The change has been approved and the {applied} updated")
            elif action == "decline" and form.is_valid():
                services.variation_decline(variation=variation, by=request.user, reason=form.cleaned_data["reason"])
                messages.success(request, "The change has been declined")
            elif action in ("approve", "decline"):
                return form_page(request, "projects/staff_variation.html", context, refused=True)
            else:
                return _choose_action(
                    request, "projects/staff_variation.html", context, "approve the change or decline it"
                )
        except ApplicationError as error:
            return _refused(request, "projects/staff_variation.html", context, form, error)
        return redirect("projects:staff_detail", reference=project.reference)
    return render(request, "projects/staff_variation.html", context)


@staff_required
@form_methods
def staff_withdraw(request: HttpRequest, reference: str) -> HttpResponse:
    project = _staff_project(request, reference)
    form = ReasonForm(posted(request))
    # A completed, closed or withdrawn project cannot be withdrawn: the page says so rather than offer the form.
    refusals = services.PROJECT_MACHINE.refusals(project, "withdraw", request.user)
    context = _context(request, project, form=form, refusals=refusals)
    if request.method == "POST" and form.is_valid():
        try:
            services.project_withdraw(project=project, by=request.user, reason=form.cleaned_data["reason"])
        except ApplicationError as error:
            return _refused(request, "projects/staff_withdraw.html", context, form, error)
        messages.success(request, "The project has been withdrawn")
        return redirect("projects:staff_detail", reference=project.reference)
    return form_page(request, "projects/staff_withdraw.html", context, refused=bool(form.errors))


@staff_required
@form_methods
def staff_close(request: HttpRequest, reference: str) -> HttpResponse:
    """Closing cannot be undone, so it is asked for on a page of its own: what it means, or why not yet."""
    project = _staff_project(request, reference)
    refusals = services.PROJECT_MACHINE.refusals(project, "close", request.user)
    if request.method == "POST" and not refusals:
        try:
            services.project_close(project=project, by=request.user)
        except ApplicationError as error:
            refusals = error.problems
        else:
            messages.success(request, "The project has been closed")
            return redirect("projects:staff_detail", reference=project.reference)
    context = _context(request, project, refusals=refusals, money=project_money(project=project))
    if request.method == "POST":
        return form_page(request, "projects/staff_close.html", {**context, "problems": refusals}, refused=True)
    return form_page(request, "projects/staff_close.html", context, refused=False)

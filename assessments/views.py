"""Assessment pages. Views are thin: a selector fetches (404 if not allowed), a service writes."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from assessments import selectors, services
from assessments.choices import ACTIVE_STATES, AssessmentState
from assessments.forms import (
    SCALE,
    AssignForm,
    DeclarationForm,
    ModerationForm,
    ProposeQuestionForm,
    ReasonForm,
    ScoringForm,
)
from assessments.models import Assessment
from bids import services as bid_services
from bids.choices import BidState
from bids.models import Criterion
from bids.selectors import bid_clarifications, bid_lineage
from core.exceptions import ApplicationError
from core.formatting import plural
from core.forms import apply_problems
from core.views import form_methods, form_page, posted, staff_required
from councils.models import User

# Rows of the ranking on a page.
RANKING_PAGE_SIZE = 50


# --- Assessors ------------------------------------------------------------------------------------------


@login_required
@require_safe
def assessment_list(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("assessments.view_own_assessments"):
        raise Http404("No page found")
    return render(
        request,
        "assessments/assessment_list.html",
        {"assessments": selectors.assessments_for_assessor(user=request.user)},
    )


@login_required
@require_safe
def assessment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Where an assignment link lands: declaration first, then the scoring form, then the submitted record."""
    assessment = selectors.assessment_get_for_user(user=request.user, pk=pk)
    is_assessor = assessment.assessor_id == request.user.pk
    if is_assessor and assessment.state == AssessmentState.ASSIGNED:
        return redirect("assessments:declare", pk=pk)
    if is_assessor and assessment.state == AssessmentState.IN_PROGRESS:
        return redirect("assessments:score", pk=pk)
    return render(
        request,
        "assessments/assessment_detail.html",
        {
            "assessment": assessment,
            "is_assessor": is_assessor,
            "rows": selectors.score_rows(assessment=assessment),
            "peers": selectors.peer_assessments(assessment=assessment, user=request.user),
            "clarifications": _clarifications_for(request, assessment),
        },
    )


def _clarifications_for(request: HttpRequest, assessment: Assessment) -> list:
    """The bid's questions and answers, for its assessor once they have declared no conflict (and staff)."""
    if not request.user.has_perm("assessments.view_bid_content", assessment):
        return []
    return bid_clarifications(bid=assessment.bid)


@login_required
@form_methods
def assessment_declare(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = selectors.assessment_get_for_user(user=request.user, pk=pk)
    if not request.user.has_perm("assessments.declare_assessment", assessment):
        raise Http404("No assessment found")
    if assessment.state != AssessmentState.ASSIGNED:
        return redirect("assessments:detail", pk=pk)
    form = DeclarationForm(posted(request))
    if request.method == "POST" and form.is_valid():
        conflict = form.cleaned_data["conflict"] == "yes"
        try:
            services.assessment_declare(
                assessment=assessment, by=request.user, conflict=conflict, details=form.cleaned_data["details"]
            )
        except ApplicationError as error:
            apply_problems(form, error)
        else:
            if conflict:
                messages.success(
                    request,
                    f"You have declared a conflict of interest with {assessment.bid.reference}. "
                    "The programme team will assign another assessor.",
                )
                return redirect("assessments:list")
            return redirect("assessments:score", pk=pk)
    return form_page(
        request, "assessments/declare.html", {"assessment": assessment, "form": form}, refused=bool(form.errors)
    )


@login_required
@form_methods
def assessment_score(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = selectors.assessment_get_for_user(user=request.user, pk=pk)
    if not request.user.has_perm("assessments.score_assessment", assessment):
        raise Http404("No assessment found")
    if assessment.state != AssessmentState.IN_PROGRESS:
        return redirect("assessments:detail", pk=pk)
    bid = selectors.bid_content_for_assessment(assessment=assessment, user=request.user)
    criteria = list(assessment.bid.funding_round.criteria.all())
    if bid.state != BidState.IN_REVIEW:
        # Withdrawn, ineligible or decided while being assessed: nothing more to score.
        return render(
            request,
            "assessments/score.html",
            {"assessment": assessment, "bid": bid, "closed": True, "lineage": bid_lineage(bid=bid, user=request.user)},
        )
    if request.method == "POST":
        form = ScoringForm(request.POST, criteria=criteria)
        if form.is_valid():
            arguments = {
                "assessment": assessment,
                "by": request.user,
                "scores": form.scores(),
                "recommendation": form.cleaned_data["recommendation"],
                "comments": form.cleaned_data["comments"],
            }
            try:
                if "submit" in request.POST:
                    services.assessment_submit(**arguments)
                else:
                    services.assessment_save_scores(**arguments)
            except ApplicationError as error:
                apply_problems(form, error)
            else:
                if "submit" in request.POST:
                    messages.success(request, f"Your assessment of {bid.reference} has been submitted")
                    return redirect("assessments:detail", pk=pk)
                messages.success(request, "Your draft has been saved")
                return redirect("assessments:score", pk=pk)
    else:
        initial = {"recommendation": assessment.recommendation, "comments": assessment.comments}
        for row in assessment.criterion_scores.all():
            initial[f"score_{row.criterion_id}"] = row.score
            initial[f"justification_{row.criterion_id}"] = row.justification
        form = ScoringForm(initial=initial, criteria=criteria)
    return form_page(
        request,
        "assessments/score.html",
        {
            "assessment": assessment,
            "bid": bid,
            "form": form,
            "scale": SCALE,
            # The project's earlier phases (round, amount, outcome), public once funded.
            "lineage": bid_lineage(bid=bid, user=request.user),
            "clarifications": bid_clarifications(bid=bid),
        },
        refused=bool(form.errors),
    )


@login_required
@form_methods
def assessment_propose_question(request: HttpRequest, pk: int) -> HttpResponse:
    """An assessor proposes a question for the bid's team; programme staff decide whether to send it (the
    council never learns who asked)."""
    assessment = selectors.assessment_get_for_user(user=request.user, pk=pk)
    is_assessor = assessment.assessor_id == request.user.pk
    if not (is_assessor and request.user.has_perm("assessments.view_bid_content", assessment)):
        raise Http404("No assessment found")
    bid = assessment.bid
    form = ProposeQuestionForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            bid_services.clarification_propose(bid=bid, by=request.user, question=form.cleaned_data["question"])
        except ApplicationError as error:
            apply_problems(form, error)
        else:
            messages.success(request, "Your question has been sent to the programme team, who decide whether to ask it")
            return redirect("assessments:detail", pk=pk)
    return form_page(
        request,
        "assessments/propose_question.html",
        {"assessment": assessment, "bid": bid, "form": form, "clarifications": bid_clarifications(bid=bid)},
        refused=bool(form.errors),
    )


# --- Staff ----------------------------------------------------------------------------------------------


@staff_required
@require_safe
def staff_home(request: HttpRequest) -> HttpResponse:
    return render(request, "assessments/staff_home.html", {"rounds": selectors.rounds_for_staff()})


@staff_required
@require_safe
def round_overview(request: HttpRequest, pk: int) -> HttpResponse:
    funding_round = selectors.round_get(pk=pk)
    return render(
        request,
        "assessments/round.html",
        {"funding_round": funding_round, "bids": selectors.round_assignment_overview(funding_round=funding_round)},
    )


@staff_required
@require_POST
def round_bulk_assign(request: HttpRequest, pk: int) -> HttpResponse:
    funding_round = selectors.round_get(pk=pk)
    try:
        result = services.assessment_assign_bulk(funding_round=funding_round, by=request.user)
    except ApplicationError as error:
        messages.error(request, str(error))
    else:
        count = len(result.assigned)
        text = f"{plural(count, 'assessment')} assigned"
        if result.short:
            text += ". Not enough eligible assessors for " + ", ".join(bid.reference for bid, _n in result.short)
        messages.success(request, text)
    return redirect("assessments:round", pk=pk)


def _bid_page(request: HttpRequest, reference: str, *, assign_form: AssignForm | None = None) -> HttpResponse:
    bid = selectors.staff_bid_get(reference=reference)
    suggestions = selectors.assessor_suggestions(bid=bid)
    eligible = [s for s in suggestions if not s.reason]
    # The eligible assessors are offered, fewest assessments in the round first (also after a refused POST,
    # which accepted any active assessor so the service could say why not).
    offered = {
        "choices": [(s.assessor.pk, s.assessor.full_name) for s in eligible],
        "hints": {
            str(s.assessor.pk): f"{plural(s.workload, 'assessment')} in this round{' (suggested)' if i == 0 else ''}"
            for i, s in enumerate(eligible)
        },
    }
    if assign_form is None:
        assign_form = AssignForm(**offered)
    else:
        assign_form.offer(**offered)
    active = [a for a in bid.assessments.all() if a.state in ACTIVE_STATES]
    scoring = selectors.bid_scoring(bid=bid)
    return form_page(
        request,
        "assessments/bid.html",
        {
            "bid": bid,
            "scoring": scoring,
            "next_step": selectors.staff_next_step(bid=bid, scoring=scoring),
            "eligible": eligible,
            "blocked": [s for s in suggestions if s.reason],
            "places_left": max(bid.funding_round.assessors_per_bid - len(active), 0),
            "closed_reason": selectors.assignment_closed_reason(bid=bid),
            "assign_form": assign_form,
            "history": selectors.assessment_history(bid=bid),
        },
        refused=bool(assign_form.errors),
    )


@staff_required
@require_safe
def bid_assessments(request: HttpRequest, reference: str) -> HttpResponse:
    return _bid_page(request, reference)


@staff_required
@require_POST
def bid_assign(request: HttpRequest, reference: str) -> HttpResponse:
    bid = selectors.staff_bid_get(reference=reference)
    # Any active assessor may be chosen here: the service explains why one cannot be assigned.
    choices = [(a.pk, a.full_name) for a in selectors.active_assessors()]
    form = AssignForm(request.POST, choices=choices)
    if form.is_valid():
        assessor = get_object_or_404(User, pk=form.cleaned_data["assessor"])
        try:
            services.assessment_assign(bid=bid, assessor=assessor, by=request.user)
        except ApplicationError as error:
            apply_problems(form, error)
        else:
            messages.success(request, f"{assessor.full_name} has been assigned to {bid.reference}")
            return redirect("assessments:bid", reference=reference)
    return _bid_page(request, reference, assign_form=form)


def _reason_page(
    request: HttpRequest,
    *,
    assessment: Assessment,
    service: Callable[..., object],
    label: str,
    heading: str,
    button: str,
    done: str,
) -> HttpResponse:
    form = ReasonForm(posted(request), label=label)
    if request.method == "POST" and form.is_valid():
        try:
            service(assessment=assessment, by=request.user, reason=form.cleaned_data["reason"])
        except ApplicationError as error:
            apply_problems(form, error)
        else:
            messages.success(request, done)
            return redirect("assessments:bid", reference=assessment.bid.reference)
    return form_page(
        request,
        "assessments/reason.html",
        {"assessment": assessment, "form": form, "heading": heading, "button": button},
        refused=bool(form.errors),
    )


@staff_required
@form_methods
def assessment_unassign(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = selectors.assessment_get_for_user(user=request.user, pk=pk)
    return _reason_page(
        request,
        assessment=assessment,
        service=services.assessment_unassign,
        label="Why are you unassigning this assessor?",
        heading=f"Unassign {assessment.assessor.full_name} from {assessment.bid.reference}",
        button="Unassign assessor",
        done=f"{assessment.assessor.full_name} has been unassigned from {assessment.bid.reference}",
    )


@staff_required
@form_methods
def assessment_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = selectors.assessment_get_for_user(user=request.user, pk=pk)
    return _reason_page(
        request,
        assessment=assessment,
        service=services.assessment_reopen,
        label="Why are you reopening this assessment?",
        heading=f"Reopen {assessment.assessor.full_name}’s assessment of {assessment.bid.reference}",
        button="Reopen assessment",
        done=f"{assessment.assessor.full_name}’s assessment has been reopened",
    )


@staff_required
@form_methods
def bid_moderate(request: HttpRequest, reference: str, criterion_pk: int) -> HttpResponse:
    bid = selectors.staff_bid_get(reference=reference)
    criterion = get_object_or_404(Criterion, pk=criterion_pk, funding_round_id=bid.funding_round_id)
    scoring = selectors.bid_scoring(bid=bid)
    row = next(r for r in scoring.rows if r.criterion.pk == criterion.pk)
    justifications = [
        (a.assessor.full_name, score_row.score, score_row.justification)
        for a in bid.assessments.all()
        if a.state == AssessmentState.SUBMITTED
        for score_row in a.criterion_scores.all()
        if score_row.criterion_id == criterion.pk
    ]
    initial = {"score": row.moderated.score, "note": row.moderated.note} if row.moderated else None
    form = ModerationForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.moderation_record(
                bid=bid,
                criterion=criterion,
                score=form.cleaned_data["score"],
                note=form.cleaned_data["note"],
                by=request.user,
            )
        except ApplicationError as error:
            apply_problems(form, error)
        else:
            messages.success(request, f"The moderated {criterion.name.lower()} score has been recorded")
            return redirect("assessments:bid", reference=reference)
    return form_page(
        request,
        "assessments/moderate.html",
        {"bid": bid, "criterion": criterion, "row": row, "justifications": justifications, "form": form},
        refused=bool(form.errors),
    )


@staff_required
@require_safe
def round_ranking(request: HttpRequest, pk: int) -> HttpResponse:
    funding_round = selectors.round_get(pk=pk)
    # A page of RANKING_PAGE_SIZE rows, with the ranks, running totals and funding line of the whole ranking
    # worked out by the database: a round may have thousands of scored bids.
    ranking = selectors.round_ranking_page(
        funding_round=funding_round, number=request.GET.get("page"), per_page=RANKING_PAGE_SIZE
    )
    return render(
        request,
        "assessments/ranking.html",
        {
            "funding_round": funding_round,
            "ranking": ranking,
            "page": ranking.page,
            "warnings": selectors.round_decision_warnings(funding_round=funding_round),
        },
    )


@staff_required
@require_safe
def round_panel_pack(request: HttpRequest, pk: int) -> HttpResponse:
    """The decision panel's pack: the bids above the funding line with their scores and the assessors'
    comments, on one page styled to print (each bid on its own sheet)."""
    funding_round = selectors.round_get(pk=pk)
    return render(
        request, "assessments/panel_pack.html", {"pack": selectors.round_panel_pack(funding_round=funding_round)}
    )


@staff_required
@require_safe
def round_calibration(request: HttpRequest, pk: int) -> HttpResponse:
    funding_round = selectors.round_get(pk=pk)
    return render(
        request,
        "assessments/calibration.html",
        {
            "funding_round": funding_round,
            "rows": selectors.round_calibration(funding_round=funding_round),
            "threshold": selectors.CALIBRATION_FLAG,
            "min_bids": selectors.CALIBRATION_MIN_BIDS,
        },
    )

"""Council-facing bid pages. Views are thin: a selector fetches (404 if not allowed), a service writes.

Every drafting page works without JavaScript. A refused write re-renders the page with what the user typed,
a GOV.UK error summary and inline errors, and HTTP 400; nothing is saved.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_safe

from bids import services
from bids.choices import NEXT_PHASE, BidState, ClarificationStatus, PartnerStatus, Payer
from bids.conditions import can_be_continued
from bids.forms import (
    SECTION_FORMS,
    AmountForm,
    ClarificationAnswerForm,
    CostLineForm,
    CouncilSearchForm,
    DeclarationForm,
    DocumentForm,
    InviteForm,
    NextPhaseForm,
    SectionForm,
    StartBidForm,
    WithdrawForm,
)
from bids.models import BID_SECTIONS, MAX_DOCUMENTS_PER_BID, Bid
from bids.panels import bid_panels
from bids.selectors import (
    bid_clarifications,
    bid_council_view,
    bid_document_get_for_user,
    bid_get_for_drafting,
    bid_get_for_user,
    bid_invitation_for_user,
    bid_lineage,
    bid_list_for_member,
    bid_submission_problems,
    bid_task_list,
    bid_visible_queryset,
    clarification_get_for_user,
    council_state,
    draft_deadline,
    next_phase_rounds,
    no_longer_a_draft,
    round_list_open,
    withdraw_refusal_for_council,
)
from core.editing import form_after_conflict
from core.exceptions import ApplicationError, EditConflictError, Gone, Problem, Refused
from core.formatting import govuk_date, money
from core.forms import apply_problems
from core.views import form_methods, form_page, one_of, posted, posted_files
from councils.models import Council
from councils.selectors import council_search, user_council_ids

# The most councils a partner search shows: past that, it asks for more of the name.
COUNCIL_RESULTS = 20

# Task-list sections with a page of their own (the rest are the section form page).
OWN_PAGE_SECTIONS = {"partners": "bids:partners", "costs": "bids:costs", "documents": "bids:documents"}


def section_url(bid: Bid, section: str) -> str:
    """Where the user fixes a problem of this task-list section."""
    if section in SECTION_FORMS:
        return reverse("bids:section", kwargs={"reference": bid.reference, "section": section})
    if section in OWN_PAGE_SECTIONS:
        return reverse(OWN_PAGE_SECTIONS[section], kwargs={"reference": bid.reference})
    return reverse("bids:detail", kwargs={"reference": bid.reference})


def linked_problems(bid: Bid, problems: list[Problem]) -> list[dict[str, str]]:
    return [{"message": problem.message, "href": section_url(bid, problem.section)} for problem in problems]


def drafting_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Load the draft for a page that changes it: 404 unless the user may edit the bid; a submitted bid's
    edit pages send the user back to the bid, which is read-only."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, reference: str, **kwargs: Any) -> HttpResponse:
        bid = bid_get_for_drafting(user=request.user, reference=reference)
        if not request.user.has_perm("bids.edit_bid", bid):
            raise Http404("No bid found")
        if bid.state != BidState.DRAFT:
            messages.info(request, f"{no_longer_a_draft(bid)}, so it can no longer be changed")
            return redirect("bids:detail", reference=bid.reference)
        return view(request, bid, **kwargs)

    return wrapper


# --- Your bids and starting a bid -----------------------------------------------------------------------


@login_required
@require_safe
def bid_list(request: HttpRequest) -> HttpResponse:
    if request.user.has_perm("bids.view_all_bids"):
        bids = (
            bid_visible_queryset(user=request.user)
            .select_related("funding_round", "lead_council")
            .order_by("-updated_at")
        )
        page = Paginator(bids, 50).get_page(request.GET.get("page"))
        return render(request, "bids/bid_list.html", {"page": page})
    rows = bid_list_for_member(user=request.user)
    invitations = [row for row in rows if row.invitation_pending]
    can_start = bool(user_council_ids(request.user)) and round_list_open().exists()
    return render(request, "bids/your_bids.html", {"rows": rows, "invitations": invitations, "can_start": can_start})


@login_required
@form_methods
def bid_start(request: HttpRequest) -> HttpResponse:
    council_ids = user_council_ids(request.user)
    if not council_ids:
        raise Http404("Only council members can start a bid")
    rounds = round_list_open()
    councils = Council.objects.filter(pk__in=council_ids)
    single_council = councils.first() if len(council_ids) == 1 else None
    data = posted(request)
    if data is not None and single_council is not None:
        data = data.copy()
        data["lead_council"] = str(single_council.pk)
    form = StartBidForm(data, rounds=rounds, councils=councils)
    if not rounds.exists():
        return render(request, "bids/start.html", {"form": None, "no_rounds": True})
    if request.method == "POST" and form.is_valid():
        try:
            bid = services.bid_create(
                funding_round=form.cleaned_data["funding_round"],
                lead_council=form.cleaned_data["lead_council"],
                by=request.user,
            )
        except ApplicationError as error:
            apply_problems(form, error)
        else:
            messages.success(request, f"You have started bid {bid.reference}")
            return redirect("bids:detail", reference=bid.reference)
    context = {"form": form, "single_council": single_council}
    return form_page(request, "bids/start.html", context, refused=bool(form.errors))


# --- The bid: task list while drafting, read-only afterwards --------------------------------------------


@login_required
@require_safe
def bid_detail(request: HttpRequest, reference: str) -> HttpResponse:
    if request.user.has_perm("bids.view_all_bids"):
        try:
            return redirect(reverse("pipeline:bid_detail", kwargs={"reference": reference}))
        except NoReverseMatch:
            pass
    bid = bid_get_for_drafting(user=request.user, reference=reference)
    can_edit = request.user.has_perm("bids.edit_bid", bid)
    if can_edit and bid.state == BidState.DRAFT:
        problems = bid_submission_problems(bid=bid)
        tasks = bid_task_list(bid=bid, problems=problems)
        for task in tasks:
            task.url = section_url(bid, task.slug)
        round_problems = [problem for problem in problems if problem.section == "round"]
        return render(
            request,
            "bids/task_list.html",
            {
                "bid": bid,
                "tasks": tasks,
                "completed": sum(task.status == "completed" for task in tasks),
                "round_problems": round_problems,
                "deadline": draft_deadline(bid=bid),
                "lineage": bid_lineage(bid=bid, user=request.user),
                "panels": bid_panels(request=request, bid=bid, page="task_list"),
            },
        )
    council_ids = user_council_ids(request.user)
    clarifications = bid_clarifications(bid=bid) if request.user.has_perm("bids.view_clarifications", bid) else []
    my_invitations = [
        partner
        for partner in bid.partners.all()
        if partner.council_id in council_ids and partner.status == PartnerStatus.INVITED
    ]
    return render(
        request,
        "bids/bid_detail.html",
        {
            "bid": bid,
            # The state and history as councils see them (the same view the API gives them).
            "view": bid_council_view(bid=bid, clarifications=clarifications),
            "clarifications": clarifications,
            "is_lead": can_edit,
            "can_withdraw": can_edit and not withdraw_refusal_for_council(bid=bid, user=request.user),
            "my_invitations": my_invitations if bid.state == BidState.DRAFT else [],
            # A council only invited sees what it is asked to join, not the supporting documents.
            "hide_documents": not request.user.has_perm("bids.view_bid_documents", bid),
            "document_count": len(bid.documents.all()),
            "lineage": bid_lineage(bid=bid, user=request.user),
            "can_continue": can_edit and can_be_continued(bid),
            "panels": bid_panels(request=request, bid=bid, page="bid"),
        },
    )


@login_required
@require_safe
def bid_print(request: HttpRequest, reference: str) -> HttpResponse:
    """The whole bid on one print-friendly page (no navigation, no buttons, no links to follow), for anyone
    who may read it; "Print this page" on the bid and check-answers pages comes here without JavaScript."""
    bid = bid_get_for_drafting(user=request.user, reference=reference)
    staff = request.user.has_perm("bids.view_all_bids")
    return render(
        request,
        "bids/print.html",
        {
            "bid": bid,
            "display_state": bid.state if staff else council_state(bid.state, bid.funding_round.state),
            "hide_documents": not request.user.has_perm("bids.view_bid_documents", bid),
            "document_count": len(bid.documents.all()),
        },
    )


# --- Sections -------------------------------------------------------------------------------------------


def _conflict_rows(form_class: type[SectionForm], bid: Bid, current: dict) -> list[tuple[str, str]]:
    """A colleague's saved answers, as rows of a summary list."""
    rows = []
    for name, value in current.items():
        if name == "planned_start":
            rows.append(("Planned start date", govuk_date(value)))
            continue
        label = form_class.base_fields[name].label if name in form_class.base_fields else name
        if name == "phase" and value:
            value = bid.get_phase_display() if bid.phase == value else value
        rows.append((label, "" if value is None else str(value)))
    return rows


@drafting_view
@form_methods
def bid_section(request: HttpRequest, bid: Bid, section: str) -> HttpResponse:
    form_class = SECTION_FORMS.get(section)
    if form_class is None:
        raise Http404("No such section")
    context: dict[str, Any] = {"bid": bid, "section": section, "section_title": BID_SECTIONS[section][0]}
    if request.method != "POST":
        context["form"] = form_class(initial=form_class.initial_for(bid), bid=bid)
        return render(request, "bids/section.html", context)
    form = form_class(request.POST, bid=bid)
    if form.is_valid():
        unchanged = all(getattr(bid, name) == value for name, value in form.values().items())
        try:
            services.bid_section_update(
                bid=bid,
                by=request.user,
                section=section,
                version=form.cleaned_data["version"],
                values=form.values(),
            )
        except services.EditConflictError as conflict:
            # Keep what the user typed, but base a deliberate second save on the colleague's version.
            form = form_after_conflict(form_class, request.POST, conflict, name="version", bid=bid)
            context["conflict_rows"] = _conflict_rows(form_class, bid, conflict.current)
        except ApplicationError as error:
            apply_problems(form, error, {"planned_start": "planned_start_day"})
        else:
            if unchanged:
                messages.info(
                    request, f"You did not change any answers in ‘{BID_SECTIONS[section][0]}’, so nothing was saved"
                )
            else:
                messages.success(request, f"{BID_SECTIONS[section][0]} saved")
            return _after_saving(request, bid, "bids:detail")
    context["form"] = form
    return form_page(request, "bids/section.html", context, refused=True)


# --- Partners -------------------------------------------------------------------------------------------


@drafting_view
@form_methods
def bid_partners(request: HttpRequest, bid: Bid) -> HttpResponse:
    search = CouncilSearchForm(request.GET or None)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    invite_error = None
    if request.method == "POST":
        invite = InviteForm(request.POST)
        if invite.is_valid():
            try:
                partner = services.partner_invite(bid=bid, council=invite.cleaned_data["council"], by=request.user)
            except ApplicationError as error:
                invite_error = error.message
            else:
                messages.success(request, f"{partner.council} has been invited to be a partner")
                return redirect("bids:partners", reference=bid.reference)
        else:
            invite_error = "Select a council to invite"
    partner_by_council = {partner.council_id: partner for partner in bid.partners.all()}
    results = [
        {
            "council": council,
            "is_lead": council.pk == bid.lead_council_id,
            "partner": partner_by_council.get(council.pk),
        }
        for council in council_search(query=query, limit=COUNCIL_RESULTS + 1)
    ]
    context = {
        "bid": bid,
        "search": search,
        "query": query,
        "results": results[:COUNCIL_RESULTS],
        "more_results": len(results) > COUNCIL_RESULTS,
        "invite_error": invite_error,
        "partners": list(bid.partners.all()),
        "partner_problems": [p for p in bid_submission_problems(bid=bid) if p.section == "partners"],
    }
    if request.GET.get("partial") == "results":
        # The type-ahead enhancement swaps in just the results; the page itself works without it.
        return render(request, "bids/_council_results.html", context)
    return form_page(request, "bids/partners.html", context, refused=bool(invite_error))


def _confirm_then(
    request: HttpRequest,
    bid: Bid,
    *,
    action: Callable[[], object],
    done: str,
    back: str,
    heading: str,
    body: str,
    button: str,
) -> HttpResponse:
    """GET asks "are you sure?"; POST runs `action` (a service call) and goes back to the section."""
    back_url = reverse(back, kwargs={"reference": bid.reference})
    if _from_check(request):
        back_url += "?from=check"  # on the way from check your answers, and back to it
    if request.method == "POST":
        try:
            action()
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, done)
        return redirect(back_url)
    return render(
        request,
        "bids/confirm.html",
        {"bid": bid, "heading": heading, "body": body, "button": button, "back_url": back_url},
    )


@drafting_view
@form_methods
def bid_partner_remove(request: HttpRequest, bid: Bid, partner_id: int) -> HttpResponse:
    partner = _on_the_bid(bid, bid.partners.all(), partner_id, "This council is no longer a partner", "bids:partners")
    return _confirm_then(
        request,
        bid,
        action=lambda: services.partner_remove(partner=partner, by=request.user),
        done=f"{partner.council} has been removed from this bid",
        back="bids:partners",
        heading=f"Are you sure you want to remove {partner.council} from this bid?",
        body="You can invite the council again later.",
        button="Yes, remove this partner",
    )


# --- Costs ----------------------------------------------------------------------------------------------


@drafting_view
@require_safe
def bid_costs(request: HttpRequest, bid: Bid) -> HttpResponse:
    lines = list(bid.cost_lines.all())
    total = sum((line.amount for line in lines), Decimal("0"))
    caps = {round_phase.phase: round_phase.cap for round_phase in bid.funding_round.phases.all()}
    return render(
        request,
        "bids/costs.html",
        {
            "bid": bid,
            "lines": lines,
            "total": total,
            "cap": caps.get(bid.phase),
            "cost_problems": [p for p in bid_submission_problems(bid=bid) if p.section == "costs"],
        },
    )


@drafting_view
@form_methods
def bid_cost_amount(request: HttpRequest, bid: Bid) -> HttpResponse:
    context: dict[str, Any] = {"bid": bid}
    if request.method != "POST":
        context["form"] = AmountForm(initial=AmountForm.initial_for(bid), bid=bid)
        return render(request, "bids/cost_amount.html", context)
    form = AmountForm(request.POST, bid=bid)
    if form.is_valid():
        unchanged = form.cleaned_data["amount_requested"] == bid.amount_requested
        try:
            services.bid_section_update(
                bid=bid,
                by=request.user,
                section="costs",
                version=form.cleaned_data["version"],
                values=form.values(),
            )
        except services.EditConflictError as conflict:
            form = form_after_conflict(AmountForm, request.POST, conflict, name="version", bid=bid)
            amount = conflict.current["amount_requested"]
            context["conflict_rows"] = [("Amount requested", money(amount, pence=True) if amount is not None else "")]
        except ApplicationError as error:
            apply_problems(form, error)
        else:
            if unchanged:
                messages.info(request, "You did not change the amount requested, so nothing was saved")
            else:
                messages.success(request, "Amount requested saved")
            return _after_saving(request, bid, "bids:costs")
    context["form"] = form
    return form_page(request, "bids/cost_amount.html", context, refused=True)


def _from_check(request: HttpRequest) -> bool:
    """The page was opened from a Change link on check your answers (`?from=check`)."""
    return request.GET.get("from") == "check"


def _after_saving(request: HttpRequest, bid: Bid, default: str) -> HttpResponse:
    """After a save: back to check your answers when the page was opened from it (the GOV.UK pattern), else on."""
    return redirect("bids:check" if _from_check(request) else default, reference=bid.reference)


def _cost_line_rows(bid: Bid, saved: dict) -> list[tuple[str, str]]:
    """A colleague's saved cost line, as summary-list rows."""
    if saved["payer"] == Payer.PARTNER:
        payer = next((str(p.council) for p in bid.partners.all() if p.council_id == saved["payer_council_id"]), "")
        payer = f"Partner council ({payer})"
    else:
        payer = Payer(saved["payer"]).label
    return [
        ("Who spends this money?", payer),
        ("What is it for?", saved["description"]),
        ("Amount", money(saved["amount"], pence=True)),
    ]


def _cost_line_form_page(request: HttpRequest, bid: Bid, line=None) -> HttpResponse:
    context: dict[str, Any] = {"bid": bid, "line": line}
    if request.method != "POST":
        initial = CostLineForm.initial_for(line) if line else None
        context["form"] = CostLineForm(initial=initial, bid=bid)
        return render(request, "bids/cost_line.html", context)
    form = CostLineForm(request.POST, bid=bid)
    if form.is_valid():
        try:
            if line is None:
                services.cost_line_add(bid=bid, by=request.user, **form.service_kwargs())
            else:
                kwargs = form.service_kwargs()
                services.cost_line_change(line=line, by=request.user, seen=form.cleaned_data["seen"], **kwargs)
        except EditConflictError as conflict:
            # What was typed stays; a second save is a deliberate one over the colleague's line.
            form = form_after_conflict(CostLineForm, request.POST, conflict, bid=bid)
            context["conflict_rows"] = _cost_line_rows(bid, conflict.current)
        except ApplicationError as error:
            apply_problems(form, error, {"payer_council": "payer"})
        else:
            messages.success(request, "Cost line saved")
            costs = reverse("bids:costs", kwargs={"reference": bid.reference})
            return redirect(f"{costs}?from=check" if _from_check(request) else costs)
    context["form"] = form
    return form_page(request, "bids/cost_line.html", context, refused=True)


@drafting_view
@form_methods
def bid_cost_add(request: HttpRequest, bid: Bid) -> HttpResponse:
    return _cost_line_form_page(request, bid)


def _on_the_bid(bid: Bid, rows: Any, pk: int, heading: str, back: str) -> Any:
    """One of the draft's partners, cost lines or documents, named in the address. One no longer there (a
    colleague removed it while this page was open) is answered 410 saying so, never as a mistyped address: these
    pages are only for people who may edit the draft, so nothing is said of any other bid."""
    try:
        return one_of(rows, pk, heading)
    except Http404:
        raise Gone(
            heading=f"{heading} on {bid.reference}",
            explanation="A colleague may have removed it. Anything you sent about it has not been saved.",
            link_text=f"Back to {BACK_TO[back]}",
            link_url=reverse(back, args=[bid.reference]),
        ) from None


BACK_TO = {"bids:partners": "partners", "bids:costs": "costs", "bids:documents": "documents"}


def _cost_line(bid: Bid, line_id: int):
    line = _on_the_bid(bid, bid.cost_lines.all(), line_id, "This cost line is no longer", "bids:costs")
    line.bid = bid
    return line


@drafting_view
@form_methods
def bid_cost_change(request: HttpRequest, bid: Bid, line_id: int) -> HttpResponse:
    return _cost_line_form_page(request, bid, _cost_line(bid, line_id))


@drafting_view
@form_methods
def bid_cost_remove(request: HttpRequest, bid: Bid, line_id: int) -> HttpResponse:
    line = _cost_line(bid, line_id)
    return _confirm_then(
        request,
        bid,
        action=lambda: services.cost_line_remove(line=line, by=request.user),
        done=f"The cost line ‘{line.description}’ has been removed",
        back="bids:costs",
        heading=f"Are you sure you want to remove the cost line ‘{line.description}’?",
        body=f"It is {money(line.amount, pence=True)}.",
        button="Yes, remove this cost line",
    )


# --- Documents ------------------------------------------------------------------------------------------


@drafting_view
@form_methods
def bid_documents(request: HttpRequest, bid: Bid) -> HttpResponse:
    documents = list(bid.documents.all())
    form = DocumentForm(posted(request), posted_files(request))
    if request.method == "POST" and form.is_valid():
        try:
            document = services.document_upload(bid=bid, by=request.user, upload=form.cleaned_data["file"])
        except ApplicationError as error:
            apply_problems(form, error, {"": "file"})
        else:
            messages.success(request, f"{document.original_name} has been uploaded")
            return redirect("bids:documents", reference=bid.reference)
    context = {
        "bid": bid,
        "documents": documents,
        "form": form,
        "can_upload": len(documents) < MAX_DOCUMENTS_PER_BID,
        "max_documents": MAX_DOCUMENTS_PER_BID,
    }
    return form_page(request, "bids/documents.html", context, refused=bool(form.errors))


@login_required
@require_safe
def bid_document_download(request: HttpRequest, reference: str, document_id: int) -> FileResponse:
    """Serve a document only to those who may see the bid (404 otherwise), always as a download."""
    document = bid_document_get_for_user(user=request.user, reference=reference, document_id=document_id)
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as error:
        raise Http404("The file is missing") from error
    response = FileResponse(
        handle, as_attachment=True, filename=document.original_name, content_type=document.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@drafting_view
@form_methods
def bid_document_delete(request: HttpRequest, bid: Bid, document_id: int) -> HttpResponse:
    document = _on_the_bid(bid, bid.documents.all(), document_id, "This document is no longer", "bids:documents")
    document.bid = bid
    return _confirm_then(
        request,
        bid,
        action=lambda: services.document_delete(document=document, by=request.user),
        done=f"{document.original_name} has been deleted",
        back="bids:documents",
        heading=f"Are you sure you want to delete {document.original_name}?",
        body="You cannot undo this.",
        button="Yes, delete this document",
    )


# --- Check answers, submit, withdraw --------------------------------------------------------------------


@login_required
@form_methods
def bid_check(request: HttpRequest, reference: str) -> HttpResponse:
    """Check answers. Everything that stops the bid being submitted is listed at the top, each linked to where
    it is fixed, before anyone is asked for the declaration; the declaration and button appear once nothing
    does. A repeated submit (a double click, or a second tab) of a bid already submitted shows the
    confirmation, not an error."""
    bid = bid_get_for_drafting(user=request.user, reference=reference)
    if not request.user.has_perm("bids.edit_bid", bid):
        raise Http404("No bid found")
    if bid.state != BidState.DRAFT:
        if request.method == "POST" and bid.submitted_at is not None:
            return redirect("bids:submitted", reference=bid.reference)
        messages.info(request, f"{no_longer_a_draft(bid)}, so it can no longer be changed")
        return redirect("bids:detail", reference=bid.reference)
    blockers = linked_problems(bid, bid_submission_problems(bid=bid))
    form = DeclarationForm(posted(request), bid=bid)
    problems: list[dict[str, str]] = []
    if request.method == "POST":
        if blockers:
            problems = blockers
        elif form.is_valid():
            try:
                services.bid_submit(bid=bid, by=request.user)
            except ApplicationError as error:
                if _submitted_meanwhile(bid):
                    return redirect("bids:submitted", reference=bid.reference)
                problems = linked_problems(bid, [p for p in error.problems if p.section] or error.problems)
            else:
                return redirect("bids:submitted", reference=bid.reference)
    context = {
        "bid": bid,
        "form": form,
        "problems": problems,
        "blockers": blockers,
        "phase_caps": bid.funding_round.phases.all(),
    }
    return form_page(request, "bids/check.html", context, refused=bool(form.errors or problems))


def _submitted_meanwhile(bid: Bid) -> bool:
    """Whether another request (the first of a double click) submitted the bid while this one was refused."""
    current = Bid.objects.filter(pk=bid.pk).values("state", "submitted_at").first()
    return bool(current and current["state"] != BidState.DRAFT and current["submitted_at"] is not None)


@login_required
@require_safe
def bid_submitted(request: HttpRequest, reference: str) -> HttpResponse:
    bid = bid_get_for_user(user=request.user, reference=reference)
    if bid.state == BidState.DRAFT or not request.user.has_perm("bids.edit_bid", bid):
        return redirect("bids:detail", reference=bid.reference)
    return render(request, "bids/submitted.html", {"bid": bid})


@login_required
@form_methods
def bid_withdraw(request: HttpRequest, reference: str) -> HttpResponse:
    bid = bid_get_for_drafting(user=request.user, reference=reference)
    if not request.user.has_perm("bids.withdraw_bid", bid):
        raise Http404("No bid found")
    refusal = withdraw_refusal_for_council(bid=bid, user=request.user)
    if refusal:
        messages.info(request, refusal)
        return redirect("bids:detail", reference=bid.reference)
    form = WithdrawForm(posted(request))
    confirming = False
    if request.method == "POST" and form.is_valid():
        if request.POST.get("confirm") == "yes":
            try:
                services.bid_withdraw(bid=bid, by=request.user, reason=form.cleaned_data["reason"])
            except ApplicationError as error:
                # Moved on meanwhile: said as the council may be told, never the bid's score or unpublished decision.
                refusal = withdraw_refusal_for_council(
                    bid=Bid.objects.select_related("funding_round").get(pk=bid.pk), user=request.user
                )
                if refusal:
                    messages.info(request, refusal)
                    return redirect("bids:detail", reference=bid.reference)
                apply_problems(form, error, {"": "reason"})
            else:
                messages.success(request, f"Bid {bid.reference} has been withdrawn")
                return redirect("bids:detail", reference=bid.reference)
        else:
            confirming = True
    context = {"bid": bid, "form": form, "confirming": confirming}
    return form_page(request, "bids/withdraw.html", context, refused=bool(form.errors))


# --- Invitations ----------------------------------------------------------------------------------------


@login_required
@form_methods
def invitation_respond(request: HttpRequest, reference: str) -> HttpResponse:
    """What the council is being asked to join, then the question, once for each of the person's councils that
    is invited (someone in two invited councils answers for each)."""
    invitation = bid_invitation_for_user(user=request.user, reference=reference)
    bid = invitation.bid
    if not invitation.partners:
        # Answered already (a second click, an old email link): say so rather than fail.
        messages.info(request, f"Your council has already answered the invitation to {bid.reference}")
        return redirect("bids:list")
    if bid.state != BidState.DRAFT:
        messages.info(request, f"{bid.reference} is {bid.get_state_display().lower()}, so the invitation has closed")
        return redirect("bids:list")
    errors: dict[int, str] = {}
    if request.method == "POST":
        wanted = request.POST.get("partner", "")
        partner = next((p for p in invitation.partners if str(p.pk) == wanted), None)
        if partner is None and not wanted and len(invitation.partners) == 1:
            partner = invitation.partners[0]
        if partner is None:
            # The page named an invitation that is no longer waiting while one still is: the lead took the
            # council off and invited it again, or the page was opened for another of the person's councils.
            messages.info(
                request,
                f"{bid.lead_council} changed its invitation after you opened this page, so your answer has not "
                "been saved. Answer it again below",
            )
            return redirect("bids:invitation", reference=bid.reference)
        answer = request.POST.get("answer")
        if answer not in ("confirm", "decline"):
            which = "your council" if len(invitation.partners) == 1 else str(partner.council)
            errors[partner.pk] = f"Select whether {which} takes part in this bid"
        else:
            try:
                services.partner_respond(partner=partner, by=request.user, confirm=answer == "confirm")
            except ApplicationError as exc:
                errors[partner.pk] = str(exc)
            else:
                verb = "confirmed" if answer == "confirm" else "declined"
                messages.success(request, f"You have {verb} {partner.council}'s part in {bid.reference}")
                if len(invitation.partners) > 1:
                    return redirect("bids:invitation", reference=bid.reference)
                return redirect("bids:list")
    for partner in invitation.partners:
        partner.error = errors.get(partner.pk, "")
    return form_page(
        request,
        "bids/invitation.html",
        {
            "bid": bid,
            "invitation": invitation,
            "problems": [{"message": message, "href": f"#answer-{pk}"} for pk, message in errors.items()],
            "phase_cap": next((p.cap for p in bid.funding_round.phases.all() if p.phase == bid.phase), None),
            "document_count": bid.document_count,
        },
        refused=bool(errors),
    )


# --- Project lineage ------------------------------------------------------------------------------------


@login_required
@form_methods
def bid_next_phase(request: HttpRequest, reference: str) -> HttpResponse:
    """ "Start the next phase" of a funded discovery or alpha: choose an open round that funds it; the new draft
    is pre-filled from this bid and linked to it, and its partners are invited again."""
    earlier = bid_get_for_user(user=request.user, reference=reference)
    if not request.user.has_perm("bids.continue_bid", earlier):
        raise Http404("No bid found")
    continuable = can_be_continued(earlier)
    rounds = next_phase_rounds(bid=earlier) if continuable else []
    form = NextPhaseForm(posted(request), rounds=rounds)
    if request.method == "POST" and continuable and form.is_valid():
        try:
            bid = services.bid_continue(
                earlier=earlier, funding_round=form.cleaned_data["funding_round"], by=request.user
            )
        except ApplicationError as error:
            apply_problems(form, error, {"": "funding_round"})
        else:
            messages.success(request, f"You have started {bid.reference}, the next phase of {earlier.reference}")
            return redirect("bids:detail", reference=bid.reference)
    context = {
        "earlier": earlier,
        "form": form,
        "rounds": rounds,
        "continuable": continuable,
        "next_phase": NEXT_PHASE.get(earlier.phase),
        "partners": [p for p in earlier.partners.all() if p.status == PartnerStatus.CONFIRMED],
    }
    return form_page(request, "bids/next_phase.html", context, refused=bool(form.errors))


# --- Questions from the programme team ------------------------------------------------------------------


@login_required
@form_methods
def clarification_answer(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    """A question from the programme team about a submitted bid: members of the lead council answer it here
    (with a file if they like); the bid's other readers see the question and its answer. A second answer (a
    double click, another colleague) is told the question is answered."""
    clarification = clarification_get_for_user(user=request.user, reference=reference, pk=pk)
    bid = clarification.bid
    may_answer = request.user.has_perm("bids.answer_clarification", bid)
    if request.method == "POST" and not may_answer:
        raise Refused(f"Members of {bid.lead_council} answer this question")
    if request.method == "POST" and clarification.status != ClarificationStatus.ASKED:
        messages.info(request, "This question has already been answered")
        return redirect("bids:detail", reference=bid.reference)
    form = ClarificationAnswerForm(posted(request), posted_files(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.clarification_answer(
                clarification=clarification,
                by=request.user,
                answer=form.cleaned_data["answer"],
                upload=form.cleaned_data["attachment"],
            )
        except ApplicationError as error:
            apply_problems(form, error)
        else:
            messages.success(request, "Your answer has been sent to the programme team")
            return redirect("bids:detail", reference=bid.reference)
    answerable = (
        may_answer and clarification.status == ClarificationStatus.ASKED and bid.state in services.ANSWERABLE_BID_STATES
    )
    return form_page(
        request,
        "bids/clarification.html",
        {"bid": bid, "clarification": clarification, "form": form if answerable else None},
        refused=bool(form.errors),
    )


@login_required
@require_safe
def clarification_attachment(request: HttpRequest, reference: str, pk: int) -> FileResponse:
    """The file sent with an answer, to those who may read the bid's questions (404 otherwise), as a download."""
    clarification = clarification_get_for_user(user=request.user, reference=reference, pk=pk)
    if not clarification.attachment or not request.user.has_perm("bids.view_bid_documents", clarification.bid):
        raise Http404("No file")
    try:
        handle = clarification.attachment.open("rb")
    except FileNotFoundError as error:
        raise Http404("The file is missing") from error
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=clarification.attachment_name,
        content_type=clarification.attachment_content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response

"""Pages of the partner finder: browse and search open calls, ask to join, and the lead council's call page
(the pitch, the requests and their answers). Thin: selectors fetch (404 if not allowed), services write."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from bids.models import Bid
from bids.views import drafting_view
from collaboration import selectors, services
from collaboration.choices import CallStatus, RequestStatus
from collaboration.forms import AnswerForm, CallSearchForm, JoinRequestForm, PitchForm
from core.exceptions import ApplicationError
from core.forms import accepted_filters, apply_problems
from core.views import form_methods, form_page, posted

PAGE_SIZE = 20


@login_required
@require_safe
def call_list(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("collaboration.browse_calls"):
        raise Http404("Page not found")
    form = CallSearchForm(request.GET or None, regions=selectors.regions())
    chosen = accepted_filters(form)
    calls = selectors.partner_calls_search(
        words=chosen.get("q", ""),
        phase=chosen.get("phase", ""),
        council_type=chosen.get("council_type", ""),
        region=chosen.get("region", ""),
    )
    page = Paginator(calls, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return form_page(
        request,
        "collaboration/calls.html",
        {
            "form": form,
            "page": page,
            "page_query": params.urlencode(),
            "searching": bool(chosen and any(chosen.values())),
        },
        refused=bool(form.errors),
    )


@login_required
@form_methods
def call_detail(request: HttpRequest, reference: str) -> HttpResponse:
    view = selectors.partner_call_for_user(user=request.user, reference=reference)
    form = JoinRequestForm(posted(request), councils=view.can_ask_for)
    if request.method == "POST":
        if not view.can_ask_for:
            messages.info(request, "Your council cannot ask to join this call")
            return redirect("collaboration:call", reference=reference)
        if form.is_valid():
            council = form.chosen_council()
            if council is None:
                form.add_error("council", "Select which council would join")
            else:
                try:
                    services.join_request_create(
                        call=view.call, council=council, by=request.user, message=form.cleaned_data["message"]
                    )
                except ApplicationError as error:
                    apply_problems(form, error, {"": "message"})
                else:
                    messages.success(
                        request, f"You have asked for {council} to join. {view.call.bid.lead_council} will answer"
                    )
                    return redirect("collaboration:call", reference=reference)
    return form_page(
        request, "collaboration/call.html", {"view": view, "call": view.call, "form": form}, refused=bool(form.errors)
    )


@drafting_view
@form_methods
def call_pitch(request: HttpRequest, bid: Bid) -> HttpResponse:
    """The lead's page for the call: write or change the pitch (which opens the call), and the requests."""
    call = selectors.partner_call_of(bid=bid)
    if request.method == "POST":
        form = PitchForm(request.POST)
        if form.is_valid():
            try:
                services.partner_call_save(
                    bid=bid,
                    by=request.user,
                    title=form.cleaned_data["title"],
                    problem=form.cleaned_data["problem"],
                    partners_do=form.cleaned_data["partners_do"],
                    join_by=form.cleaned_data["join_by"],
                )
            except ApplicationError as error:
                apply_problems(form, error)
            else:
                was_open = call is not None and call.status == CallStatus.OPEN
                messages.success(
                    request, "Your call for partners has been saved" if was_open else "Your call for partners is open"
                )
                return redirect("collaboration:pitch", reference=bid.reference)
    else:
        form = PitchForm(initial=PitchForm.initial_for(call, bid))
    return form_page(
        request,
        "collaboration/pitch.html",
        {
            "bid": bid,
            "call": call,
            "form": form,
            "requests": selectors.join_requests_of(call=call) if call else [],
        },
        refused=bool(form.errors),
    )


@drafting_view
@form_methods
def call_close(request: HttpRequest, bid: Bid) -> HttpResponse:
    call = selectors.partner_call_of(bid=bid)
    if call is None:
        raise Http404("No call for partners found")
    if call.status == CallStatus.CLOSED:
        messages.info(request, "Your call for partners is already closed")
        return redirect("collaboration:pitch", reference=bid.reference)
    if request.method == "POST":
        try:
            services.partner_call_close(call=call, by=request.user)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Your call for partners is closed")
        return redirect("collaboration:pitch", reference=bid.reference)
    waiting = sum(r.status == RequestStatus.PENDING for r in selectors.join_requests_of(call=call))
    return render(request, "collaboration/close.html", {"bid": bid, "call": call, "waiting": waiting})


@drafting_view
@form_methods
def request_answer(request: HttpRequest, bid: Bid, request_id: int) -> HttpResponse:
    join_request = selectors.join_request_for_lead(user=request.user, bid=bid, request_id=request_id)
    if join_request.status != RequestStatus.PENDING:
        messages.info(request, f"This request has been answered: {join_request.get_status_display().lower()}")
        return redirect("collaboration:pitch", reference=bid.reference)
    form = AnswerForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data["answer"] == "accept":
                services.join_request_accept(request=join_request, by=request.user)
                done = f"{join_request.council} is now a confirmed partner"
            else:
                services.join_request_decline(request=join_request, by=request.user, reason=form.cleaned_data["reason"])
                done = f"You have declined {join_request.council}’s request"
        except ApplicationError as error:
            apply_problems(form, error, {"": "answer"})
        else:
            messages.success(request, done)
            return redirect("collaboration:pitch", reference=bid.reference)
    return form_page(
        request,
        "collaboration/request.html",
        {"bid": bid, "join_request": join_request, "form": form},
        refused=bool(form.errors),
    )

"""Programme staff pages (dashboard, bid table and CSV, bid page, decisions, batch award) and the public
funded-projects page with its 360Giving downloads. Views are thin: selectors read, bid services write."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from assessments.selectors import round_decision_warnings
from bids import services as bid_services
from bids.choices import BidState, Phase
from bids.models import FundingRound
from bids.selectors import lineage_for_bids, round_remaining_budget
from core.exceptions import ApplicationError, Problem
from core.formatting import money, plural
from core.forms import apply_problems
from core.views import staff_required
from councils.choices import CouncilType
from pipeline import selectors
from pipeline.choices import DECISION_RESULTS, DECISION_TRANSITIONS, REGIONS, Decision, Sort
from pipeline.exports import bid_csv_rows, csv_lines
from pipeline.filters import SORT_CHOICES, BidFilter
from pipeline.forms import DECISION_FORMS, BatchAwardForm
from pipeline.opendata import package_chunks, package_filename
from pipeline.pagination import RowsPaginator
from pipeline.services import BatchAwardRefusedError, round_batch_award, round_bids_above_line

PAGE_SIZE = 50
# Built once: `TextChoices.choices` makes a new list on every access.
STATE_CHOICES = BidState.choices
PHASE_CHOICES = Phase.choices
COUNCIL_TYPE_CHOICES = CouncilType.choices


class UnknownRoundError(Exception):
    """`?round=` names no round (not a number, or no round has that id)."""


def _round_from(request: HttpRequest, rounds: list[FundingRound]) -> FundingRound | None:
    """The round chosen with `?round=<id>`, or None (all rounds) when none is chosen. An unknown or malformed
    value raises UnknownRoundError: a page must never quietly show every round instead of the one asked for."""
    wanted = request.GET.get("round", "").strip()
    if not wanted:
        return None
    chosen = next((r for r in rounds if str(r.pk) == wanted), None)
    if chosen is None:
        raise UnknownRoundError(wanted)
    return chosen


UNKNOWN_ROUND = {"message": "Select a round from the list", "href": "#round"}


def _unknown_round(request: HttpRequest, rounds: list[FundingRound]) -> HttpResponse:
    """400 with a GOV.UK error summary and the list of rounds to choose from again."""
    return render(request, "pipeline/unknown_round.html", {"rounds": rounds, "problems": [UNKNOWN_ROUND]}, status=400)


# --- Dashboard ------------------------------------------------------------------------------------------


@staff_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    rounds = selectors.round_list()
    try:
        funding_round = _round_from(request, rounds)
    except UnknownRoundError:
        return _unknown_round(request, rounds)
    # The content is the same for every member of staff, so it is rendered once per version of the data (the
    # key changes with the bids, the rounds and their budgets) and kept in the cache every web process shares.
    # bench/pipeline.py --compare-caches measures what that saves.
    now = timezone.now()
    key = selectors.dashboard_cache_key(funding_round=funding_round, rounds=rounds, now=now)
    body = cache.get(key)
    if body is None:
        summary = selectors.dashboard_get(funding_round=funding_round, rounds=rounds, now=now)
        table_query = f"round={funding_round.pk}&" if funding_round else ""
        body = render_to_string(
            "pipeline/_dashboard_body.html",
            {"dashboard": summary, "funding_round": funding_round, "rounds": rounds, "table_query": table_query},
        )
        cache.set(key, body, selectors.DASHBOARD_CACHE_SECONDS)
    return render(request, "pipeline/dashboard.html", {"body": body, "funding_round": funding_round})


# --- The bid table and its CSV --------------------------------------------------------------------------


def _filtered(request: HttpRequest) -> BidFilter:
    # Always bound (even to an empty query) so the default sort applies.
    bid_filter = BidFilter(request.GET, queryset=selectors.bid_table_queryset(user=request.user))
    bid_filter.is_valid()  # populates the form's errors; invalid filters are left out of the query
    return bid_filter


@staff_required
@require_GET
def bid_table(request: HttpRequest) -> HttpResponse:
    bid_filter = _filtered(request)
    rounds = selectors.round_list()
    chosen = bid_filter.form.cleaned_data.get("round")
    if chosen is not None and all(r.pk != chosen for r in rounds):
        # Like any other bad filter value: said in the error summary (400) and left out of the query.
        bid_filter.form.add_error("round", UNKNOWN_ROUND["message"])
    searching = bool(bid_filter.form.is_valid() and bid_filter.form.cleaned_data.get("q"))
    paginator = RowsPaginator(bid_filter.qs, PAGE_SIZE, fields=selectors.TABLE_ROW_FIELDS, count_in_rows=searching)
    page = paginator.get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    sort = request.GET.get("sort") or Sort.REFERENCE
    params.pop("sort", None)
    return render(
        request,
        "pipeline/bid_table.html",
        {
            "page": page,
            "form": bid_filter.form,
            "filter_query": params.urlencode(),
            "page_query": "&".join(part for part in (params.urlencode(), urlencode({"sort": sort})) if part),
            "sort": sort,
            "sort_choices": SORT_CHOICES,
            "rounds": rounds,
            "councils": selectors.council_options(),
            "states": STATE_CHOICES,
            "phases": PHASE_CHOICES,
            "council_types": COUNCIL_TYPE_CHOICES,
            "regions": REGIONS,
            "values": request.GET,
            "moderation_choices": [("true", "Yes"), ("false", "No")],
            "csv_query": request.GET.urlencode(),
        },
        status=400 if bid_filter.form.errors else 200,
    )


@staff_required
@require_GET
def bid_csv(request: HttpRequest) -> HttpResponse:
    bid_filter = _filtered(request)
    stamp = timezone.localtime().strftime("%Y-%m-%d-%H%M")
    response = StreamingHttpResponse(csv_lines(bid_csv_rows(bid_filter.qs)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="bids-{stamp}.csv"'
    return response


# --- The staff bid page and decisions -------------------------------------------------------------------


@staff_required
@require_GET
def bid_detail(request: HttpRequest, reference: str) -> HttpResponse:
    page = selectors.staff_bid_page(user=request.user, reference=reference)
    return render(request, "pipeline/bid_detail.html", {"page": page, "bid": page.bid})


def _service_call(decision: str, bid, user, data: dict):
    if decision == Decision.RETURN:
        return bid_services.bid_return_for_changes(bid=bid, by=user, message=data["message"])
    if decision == Decision.INELIGIBLE:
        return bid_services.bid_mark_ineligible(bid=bid, by=user, reason=data["reason"])
    if decision == Decision.AWARD:
        return bid_services.bid_award(bid=bid, by=user, amount=data["amount"], conditions=data["conditions"])
    return bid_services.bid_decline(bid=bid, by=user, feedback=data["feedback"])


SUCCESS = {
    Decision.RETURN: "{reference} was returned to the lead council for changes",
    Decision.INELIGIBLE: "{reference} was marked as ineligible",
    Decision.AWARD: "{reference} was awarded {amount}",
    Decision.DECLINE: "{reference} was declined; the councils will get your feedback",
}


@staff_required
@require_http_methods(["GET", "POST"])
def bid_decide(request: HttpRequest, reference: str, decision: str) -> HttpResponse:
    if decision not in Decision.values:
        raise Http404("Page not found")
    bid = selectors.staff_bid_get(user=request.user, reference=reference)
    available = dict(selectors.decisions_available(bid=bid, user=request.user))
    form_class = DECISION_FORMS[decision]
    problems = []
    if decision not in available and request.method == "POST" and bid.state == DECISION_RESULTS[decision]:
        # A repeated confirmation (a double click, a second tab): the decision is made; show the bid.
        messages.info(request, f"{bid.reference} is already {bid.get_state_display().lower()}")
        return redirect("pipeline:bid_detail", reference=bid.reference)
    if decision not in available:
        # The bid moved on (or was never in a state for this): say so rather than show a form that will fail.
        state = bid.get_state_display().lower()
        problems = [Problem(f"This bid is {state}, so you cannot {Decision(decision).label.lower()}")]
        form = None
    elif request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            try:
                _service_call(decision, bid, request.user, form.cleaned_data)
            except ApplicationError as error:
                # On their fields where they have one (the amount), in the summary otherwise.
                apply_problems(form, error)
                bid.refresh_from_db()
            else:
                amount = money(bid.award_amount, pence=True) if bid.award_amount is not None else ""
                messages.success(request, SUCCESS[decision].format(reference=bid.reference, amount=amount))
                return redirect("pipeline:bid_detail", reference=bid.reference)
    else:
        initial = {"amount": bid.amount_requested} if decision == Decision.AWARD else {}
        form = form_class(initial=initial)
    remaining = round_remaining_budget(funding_round=bid.funding_round) if decision == Decision.AWARD else None
    deciding = decision in (Decision.AWARD, Decision.DECLINE) and form is not None
    warnings = round_decision_warnings(funding_round=bid.funding_round) if deciding else []
    has_errors = bool(problems) or (form is not None and form.errors)
    return render(
        request,
        "pipeline/decide.html",
        {
            "bid": bid,
            "decision": decision,
            "decision_label": Decision(decision).label,
            "transition": DECISION_TRANSITIONS[decision],
            "form": form,
            "problems": problems,
            "remaining": remaining,
            "warnings": warnings,
        },
        status=400 if has_errors else 200,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def batch_award(request: HttpRequest, pk: int) -> HttpResponse:
    funding_round = get_object_or_404(FundingRound, pk=pk)
    problems = []
    form = BatchAwardForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            result = round_batch_award(
                funding_round=funding_round, by=request.user, conditions=form.cleaned_data["conditions"]
            )
        except BatchAwardRefusedError as error:
            award_url = reverse("pipeline:bid_decide", kwargs={"reference": error.reference, "decision": "award"})
            problems = [{"message": error.message, "href": award_url}]
        except ApplicationError as error:
            problems = error.problems
        else:
            count = len(result.awarded)
            messages.success(request, f"{plural(count, 'bid')} awarded a total of {money(result.total, pence=True)}")
            return redirect(f"{reverse('pipeline:dashboard')}?round={funding_round.pk}")
    rows = round_bids_above_line(funding_round=funding_round)
    total = sum((row.amount_requested for row in rows), 0)
    remaining = round_remaining_budget(funding_round=funding_round)
    return render(
        request,
        "pipeline/batch_award.html",
        {
            "funding_round": funding_round,
            "rows": rows,
            "total": total,
            "remaining": remaining,
            "form": form,
            "problems": problems,
            "warnings": round_decision_warnings(funding_round=funding_round),
        },
        status=400 if problems else 200,
    )


# --- Public: funded projects and open data --------------------------------------------------------------


@require_GET
def funded(request: HttpRequest) -> HttpResponse:
    rounds = selectors.round_list()
    try:
        funding_round = _round_from(request, rounds)
    except UnknownRoundError:
        return _unknown_round(request, rounds)
    bids = selectors.funded_bids(funding_round=funding_round)
    page = Paginator(bids, PAGE_SIZE).get_page(request.GET.get("page"))
    # Each project's other phases that are public too (discovery → alpha → beta), in a few queries per page.
    lines = lineage_for_bids(bids=page.object_list, user=None)
    for bid in page.object_list:
        bid.lineage = lines.get(bid.pk, [])
    return render(
        request,
        "pipeline/funded.html",
        {
            "page": page,
            "rounds": rounds,
            "funding_round": funding_round,
            "totals": selectors.funded_totals(funding_round=funding_round),
            "published_rounds": selectors.rounds_with_awards(),
            "page_query": f"round={funding_round.pk}" if funding_round else "",
        },
    )


@require_GET
def funded_package(request: HttpRequest, code: str | None = None) -> StreamingHttpResponse:
    funding_round = get_object_or_404(FundingRound, code=code) if code else None
    if not selectors.funded_bids(funding_round=funding_round).exists():
        # The 360Giving standard has no empty package: nothing awarded means nothing to publish yet.
        raise Http404("Nothing has been awarded yet")
    return package_response(funding_round, download=True)


def package_response(funding_round: FundingRound | None, *, download: bool = False) -> StreamingHttpResponse:
    """The package as JSON: saved as a file with its name from the funded-projects page's download links,
    shown in place from the API."""
    response = StreamingHttpResponse(
        package_chunks(funding_round=funding_round), content_type="application/json; charset=utf-8"
    )
    disposition = "attachment" if download else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{package_filename(funding_round)}"'
    return response

"""Programme staff pages (dashboard, bid table and CSV, bid page, decisions, batch award) and the public
funded-projects page with its 360Giving downloads. Views are thin: selectors read, bid services write."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.http import condition, require_POST, require_safe

from assessments.selectors import ranking_place, round_decision_warnings
from assessments.services import assessor_remind
from bids import services as bid_services
from bids.choices import BidState, ClarificationStatus, Phase, RoundState, SiftDecision
from bids.conditions import round_is_deciding
from bids.machines import ROUND_MACHINE
from bids.models import FundingRound
from bids.selectors import (
    bid_sift_checklist,
    lineage_for_bids,
    round_locked_settings,
    round_remaining_budget,
    round_settings_now,
)
from collaboration.selectors import similar_work
from core.editing import fingerprint, form_after_conflict
from core.exceptions import ApplicationError, EditConflictError, Problem
from core.formatting import govuk_datetime, money, plural
from core.forms import apply_problems, typed_digits
from core.views import form_methods, form_page, one_of, posted, staff_required
from councils.choices import CouncilType, Role
from councils.models import User
from pipeline import selectors
from pipeline.choices import DECISION_RESULTS, DECISION_TRANSITIONS, REGIONS, Decision, Sort
from pipeline.exports import bid_csv_rows, csv_lines, finance_csv_rows
from pipeline.filters import MODERATION_CHOICES, SORT_CHOICES, BidFilter, search_uses_index
from pipeline.forms import (
    DECISION_FORMS,
    BatchAwardForm,
    ClarificationAskForm,
    CloseEarlyForm,
    CriterionFormSet,
    RoundForm,
    SiftForm,
    criteria_initial,
    round_defaults,
    round_initial,
)
from pipeline.opendata import package_chunks, package_filename
from pipeline.pagination import RowsPaginator
from pipeline.services import BatchAwardRefusedError, round_batch_award, round_bids_above_line
from projects.selectors import (
    delivery_summary,
    finance_rows,
    money_by_project,
    money_by_round,
    projects_last_changed,
    public_project_details,
    public_projects,
)

PAGE_SIZE = 50
# Built once: `TextChoices.choices` makes a new list on every access.
STATE_CHOICES = BidState.choices
PHASE_CHOICES = Phase.choices
COUNCIL_TYPE_CHOICES = CouncilType.choices


UNKNOWN_ROUND = {"message": "Select a round from the list", "href": "#round"}


def _for_chosen_round(rounds_of: Callable[[], list[FundingRound]]):
    """A page about one round or all of them. The view is given the rounds to choose from (`rounds_of()`) and the
    one chosen with `?round=<id>`, or None (all rounds) when none is chosen. An unknown or malformed value answers
    400 with the rounds to choose from again: a page must never quietly show every round instead of the one asked
    for."""

    def decorate(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            rounds = rounds_of()
            wanted = request.GET.get("round", "").strip()
            chosen = next((r for r in rounds if str(r.pk) == wanted), None)
            if wanted and chosen is None:
                context = {"rounds": rounds, "problems": [UNKNOWN_ROUND]}
                return form_page(request, "pipeline/unknown_round.html", context, refused=True)
            return view(request, rounds, chosen, *args, **kwargs)

        return wrapper

    return decorate


# --- Dashboard ------------------------------------------------------------------------------------------


@staff_required
@require_safe
@_for_chosen_round(selectors.round_list)
def dashboard(request: HttpRequest, rounds: list[FundingRound], funding_round: FundingRound | None) -> HttpResponse:
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
    # The delivery half (projects, money, reuse) is rendered once per version of the projects' data too: its key
    # is the latest change to any project (one query) and the day (a report becomes overdue overnight).
    delivery_key = selectors.delivery_cache_key(funding_round=funding_round, changed=projects_last_changed())
    delivery = cache.get(delivery_key)
    if delivery is None:
        delivery = render_to_string("pipeline/_delivery.html", _delivery_context(funding_round))
        cache.set(delivery_key, delivery, selectors.DASHBOARD_CACHE_SECONDS)
    return render(
        request, "pipeline/dashboard.html", {"body": body, "delivery": delivery, "funding_round": funding_round}
    )


def _delivery_context(funding_round: FundingRound | None) -> dict:
    round_ids = [funding_round.pk] if funding_round is not None else None
    summary = delivery_summary(round_ids=round_ids)
    by_project = []
    if funding_round is not None and summary["total"]:
        by_project = money_by_project(public_projects().filter(bid__funding_round=funding_round))
    return {
        "funding_round": funding_round,
        "delivery": summary,
        "money_by_round": money_by_round(round_ids=round_ids) if summary["total"] else [],
        "money_by_project": by_project,
    }


# --- The bid table and its CSV --------------------------------------------------------------------------


def _filtered(request: HttpRequest, rounds: list[FundingRound]) -> BidFilter:
    """The table's filters read from the query string, as the table and its CSV both read them. A bad value (an
    unknown round among them) is in the form's errors, and left out of the query."""
    # Always bound (even to an empty query) so the default sort applies.
    bid_filter = BidFilter(request.GET, queryset=selectors.bid_table_queryset(user=request.user))
    bid_filter.is_valid()
    chosen = bid_filter.form.cleaned_data.get("round")
    if chosen is not None and all(r.pk != chosen for r in rounds):
        bid_filter.form.add_error("round", UNKNOWN_ROUND["message"])
    return bid_filter


def _table_page(request: HttpRequest, bid_filter: BidFilter, rounds: list[FundingRound]) -> HttpResponse:
    searching = bool(bid_filter.form.is_valid() and bid_filter.form.cleaned_data.get("q"))
    paginator = RowsPaginator(
        bid_filter.qs,
        PAGE_SIZE,
        fields=selectors.TABLE_ROW_FIELDS,
        count_in_rows=searching and not search_uses_index(),
    )
    page = paginator.get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    sort = request.GET.get("sort") or Sort.REFERENCE
    params.pop("sort", None)
    return form_page(
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
            "moderation_choices": MODERATION_CHOICES,
            "csv_query": request.GET.urlencode(),
        },
        refused=bool(bid_filter.form.errors),
    )


@staff_required
@require_safe
def bid_table(request: HttpRequest) -> HttpResponse:
    rounds = selectors.round_list()
    return _table_page(request, _filtered(request, rounds), rounds)


@staff_required
@require_safe
def bid_csv(request: HttpRequest) -> HttpResponse:
    """The table's rows as CSV, filtered as the table is. A filter the table refuses is refused here too (the table
    page, saying why, 400): a download is never wider than the filters it was asked for."""
    rounds = selectors.round_list()
    bid_filter = _filtered(request, rounds)
    if bid_filter.form.errors:
        return _table_page(request, bid_filter, rounds)
    stamp = timezone.localtime().strftime("%Y-%m-%d-%H%M")
    response = StreamingHttpResponse(csv_lines(bid_csv_rows(bid_filter.qs)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="bids-{stamp}.csv"'
    return response


# --- The staff bid page and decisions -------------------------------------------------------------------


@staff_required
@require_safe
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
    if decision == Decision.RECONSIDER:
        return bid_services.bid_reconsider(bid=bid, by=user, reason=data["reason"])
    return bid_services.bid_decline(bid=bid, by=user, feedback=data["feedback"])


SUCCESS = {
    Decision.RETURN: "{reference} was returned to the lead council for changes",
    Decision.INELIGIBLE: "{reference} was marked as ineligible",
    Decision.AWARD: "{reference} was awarded {amount}",
    Decision.DECLINE: "{reference} was declined; the councils will get your feedback",
    Decision.RECONSIDER: "{reference} is scored again: award or decline it",
}


@staff_required
@form_methods
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
        # The bid moved on (or was never in a state for this, or its round is not deciding): say so rather than
        # show a form that will fail.
        state = bid.get_state_display().lower()
        label = Decision(decision).label.lower()
        deciding_decision = decision in (Decision.AWARD, Decision.DECLINE) and bid.state == BidState.SCORED
        if deciding_decision and not round_is_deciding(bid):
            problems = [Problem(f"You cannot {label} yet: {round_is_deciding.refusal(bid)}")]
        elif decision == Decision.RECONSIDER and bid.funding_round.state == RoundState.PUBLISHED:
            problems = [Problem("The round’s decisions are published, so this decision can no longer change")]
        else:
            problems = [Problem(f"This bid is {state}, so you cannot {label}")]
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
    # An award below the funding line takes money the ranking gives to bids scored higher: the page says so.
    place = ranking_place(bid=bid) if decision == Decision.AWARD and form is not None else None
    has_errors = bool(problems) or (form is not None and form.errors)
    return form_page(
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
            "place": place,
        },
        refused=bool(has_errors),
    )


@staff_required
@form_methods
def batch_award(request: HttpRequest, pk: int) -> HttpResponse:
    funding_round = get_object_or_404(FundingRound, pk=pk)
    problems = []
    form = BatchAwardForm(posted(request))
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
    return form_page(
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
        refused=bool(problems or form.errors),
    )


@staff_required
@require_safe
def finance_csv(request: HttpRequest) -> HttpResponse:
    """Every scheduled payment of every project, for the finance team."""
    stamp = timezone.localtime().strftime("%Y-%m-%d-%H%M")
    response = StreamingHttpResponse(
        csv_lines(finance_csv_rows(finance_rows())), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="project-payments-{stamp}.csv"'
    return response


# --- Public: funded projects and open data --------------------------------------------------------------


# How long a browser or a shared cache may keep a public response before asking again (with If-Modified-Since,
# answered 304 while nothing has changed). The funded-projects page is asked again every time (a decision
# published must show on the next visit; the 304 is cheap); a 360Giving package, fetched by open-data
# aggregators, may be kept five minutes.
PUBLIC_PAGE_MAX_AGE = 0
PUBLIC_PACKAGE_MAX_AGE = 300
# How long a shared rendering of a public page is kept (its key changes with the data anyway).
SHARED_COPY_SECONDS = 300


def _public_cache(max_age: int):
    """Cache-Control for a public response that may be stored by anyone (a 200, or a 304 to a revalidation):
    `public, max-age=…` (and `must-revalidate` when that is 0). An error (a 404 before anything is published)
    says nothing, so nothing keeps it."""

    def decorator(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            response = view(request, *args, **kwargs)
            if response.status_code in (200, 304):
                # (Django writes a directive given False as `must-revalidate=False`, which no cache understands.)
                revalidate = {"must_revalidate": True} if max_age == 0 else {}
                patch_cache_control(response, public=True, max_age=max_age, **revalidate)
            return response

        return wrapper

    return decorator


def _open_data_changed(request: HttpRequest, *args, **kwargs):
    """Last-Modified of the public pages, for anonymous visitors only: a signed-in person's copy of a page
    carries their own header and links, so it is never revalidated against someone else's (and never cached)."""
    if request.user.is_authenticated:
        return None
    request.open_data_changed = selectors.open_data_last_modified()
    return request.open_data_changed


def _shared_copy(view):
    """A public page as rendered for the last visitor who brought no cookie of the service (no session, no
    messages waiting), kept in the cache every web process shares and given to the next such visitor — for as
    long as nothing on it has changed: the key holds the data's Last-Modified (`_open_data_changed`, which runs
    first), so a decision shows on the very next request. Anyone with a session gets the page rendered afresh.
    bench/pipeline.py measures what it saves ("funded (public)" beside --compare-caches)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        changed = getattr(request, "open_data_changed", None)
        cookie_less = not (request.COOKIES.keys() & {settings.SESSION_COOKIE_NAME, CookieStorage.cookie_name})
        if changed is None or not cookie_less:
            return view(request, *args, **kwargs)
        key = selectors.public_page_cache_key(path=request.get_full_path(), changed=changed)
        content = cache.get(key)
        if content is not None:
            return HttpResponse(content)
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming and not response.cookies:
            cache.set(key, response.content, SHARED_COPY_SECONDS)
        return response

    return wrapper


@require_safe
@_public_cache(PUBLIC_PAGE_MAX_AGE)
@condition(last_modified_func=_open_data_changed)
@_shared_copy
# Only rounds whose decisions are published: the public pages know no other.
@_for_chosen_round(selectors.published_round_list)
def funded(request: HttpRequest, rounds: list[FundingRound], funding_round: FundingRound | None) -> HttpResponse:
    bids = selectors.funded_bids(funding_round=funding_round)
    page = Paginator(bids, PAGE_SIZE).get_page(request.GET.get("page"))
    # Each project's other phases that are public too (discovery → alpha → beta), in a few queries per page.
    lines = lineage_for_bids(bids=page.object_list, user=None)
    # Each project's state, outputs and the councils reusing them (three queries a page).
    projects = public_project_details(bid_ids=[bid.pk for bid in page.object_list])
    for bid in page.object_list:
        bid.lineage = lines.get(bid.pk, [])
        bid.delivery = projects.get(bid.pk)
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


@require_safe
@_public_cache(PUBLIC_PACKAGE_MAX_AGE)
@condition(last_modified_func=_open_data_changed)
def funded_package(request: HttpRequest, code: str | None = None) -> StreamingHttpResponse:
    return package_response(published_package_round(code), download=True)


def published_package_round(code: str | None) -> FundingRound | None:
    """The round a 360Giving package is asked for (None: every round), for the public page and the API alike:
    404 for a round whose decisions are not published, and for a package with nothing in it (the 360Giving
    standard has no empty package: nothing awarded means nothing to publish yet)."""
    funding_round = get_object_or_404(FundingRound, code=code, state=RoundState.PUBLISHED) if code else None
    if not selectors.funded_bids(funding_round=funding_round).exists():
        raise Http404("Nothing has been awarded yet")
    return funding_round


def package_response(funding_round: FundingRound | None, *, download: bool = False) -> StreamingHttpResponse:
    """The package as JSON: saved as a file with its name from the funded-projects page's download links,
    shown in place from the API."""
    response = StreamingHttpResponse(
        package_chunks(funding_round=funding_round), content_type="application/json; charset=utf-8"
    )
    disposition = "attachment" if download else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{package_filename(funding_round)}"'
    return response


# --- Rounds: the list, set-up (new, copied or edited), the overview and its steps ---------------------------


@staff_required
@require_safe
def round_list(request: HttpRequest) -> HttpResponse:
    return render(request, "pipeline/rounds.html", {"rows": selectors.round_rows()})


def _apply_round_problems(form: RoundForm, formset, error: ApplicationError) -> None:
    """A service's refusal on the set-up form: each problem on its field (criteria rules above the criteria)."""
    for problem in error.problems:
        if problem.field == "criteria" and formset is not None:
            formset.non_form_errors().append(problem.message)
        elif problem.field in form.date_inputs:
            form.add_error(f"{problem.field}_day", problem.message)
        elif problem.field == "phases":
            form.add_error(f"fund_{Phase.DISCOVERY}", problem.message)
        else:
            form.add_error(problem.field if problem.field in form.fields else None, problem.message)


def _round_summary(form: RoundForm, formset) -> list[dict[str, str]]:
    """The error summary of the set-up page: the form's and the criteria's errors, each linked to its field."""
    problems = [{"message": message} for message in form.non_field_errors()]
    for name, errors in form.errors.items():
        if name != "__all__":
            problems.extend({"message": message, "href": f"#id_{name}"} for message in errors)
    if formset is not None:
        problems.extend({"message": message, "href": "#criteria"} for message in formset.non_form_errors())
        for index, errors in enumerate(formset.errors):
            for name, messages_ in errors.items():
                problems.extend({"message": message, "href": f"#id_criteria-{index}-{name}"} for message in messages_)
    return problems


def _spare_rows(initial: list[dict]) -> list[dict]:
    """The criteria rows and two blank ones, so a criterion can be added without JavaScript."""
    return [*initial, {}, {}]


def _round_setting_rows(saved: dict, sent: dict) -> list[tuple[str, str]]:
    """The settings saved by someone else that differ from what this page sent, as summary-list rows."""
    rows = []
    for name, value in saved.items():
        if name not in sent or sent[name] == value:
            continue
        if name == "phases":
            shown = "; ".join(f"{Phase(phase).label} up to {money(cap)}" for phase, cap in value.items())
        elif name == "criteria":
            shown = "; ".join(f"{row[1]}, {row[2].normalize():f}%" for row in value)
        elif name == "budget":
            shown = money(value)
        elif hasattr(value, "tzinfo"):
            shown = govuk_datetime(value)
        else:
            shown = str(value)
        rows.append((bid_services.ROUND_SETTING_LABELS.get(name, name).capitalize(), shown))
    return rows


def _round_form_page(request: HttpRequest, *, funding_round: FundingRound | None, copy_from: FundingRound | None):
    locked = round_locked_settings(funding_round=funding_round) if funding_round else {}
    source = funding_round or copy_from
    initial = round_initial(source, copy=funding_round is None) if source else round_defaults()
    if funding_round is not None:
        initial["seen"] = fingerprint(round_settings_now(funding_round=funding_round))
    criteria_locked = "criteria" in locked
    conflict_rows: list[tuple[str, str]] = []
    if request.method == "POST":
        form = RoundForm(request.POST, initial=initial, locked=locked)
        formset = None if criteria_locked else CriterionFormSet(request.POST, prefix="criteria")
        valid = form.is_valid() & (formset is None or formset.is_valid())
        if valid:
            settings = {name: value for name, value in form.settings().items() if name not in locked}
            phase_caps = None if "phases" in locked else form.phase_caps()
            criteria = None if formset is None else formset.rows()
            try:
                if funding_round is None:
                    saved = bid_services.round_create(
                        **settings, phase_caps=phase_caps, criteria=criteria, by=request.user
                    )
                else:
                    saved = bid_services.round_update(
                        funding_round=funding_round,
                        by=request.user,
                        phase_caps=phase_caps,
                        criteria=criteria,
                        seen=form.cleaned_data["seen"],
                        **settings,
                    )
            except EditConflictError as conflict:
                sent = {**settings, "phases": phase_caps, "criteria": criteria}
                conflict_rows = _round_setting_rows(conflict.current, {k: v for k, v in sent.items() if v is not None})
                # What was typed stays; a second save is a deliberate one over what is saved now.
                form = form_after_conflict(RoundForm, request.POST, conflict, initial=initial, locked=locked)
            except ApplicationError as error:
                _apply_round_problems(form, formset, error)
            else:
                done = "set up" if funding_round is None else "saved"
                messages.success(request, f"{saved.name} has been {done}")
                return redirect("pipeline:round", pk=saved.pk)
    else:
        form = RoundForm(initial=initial, locked=locked)
        formset = (
            None
            if criteria_locked
            else CriterionFormSet(initial=_spare_rows(criteria_initial(source)), prefix="criteria")
        )
    problems = _round_summary(form, formset) if request.method == "POST" else []
    return form_page(
        request,
        "pipeline/round_form.html",
        {
            "form": form,
            "formset": formset,
            "funding_round": funding_round,
            "copy_from": copy_from,
            "locked": locked,
            "criteria": list(funding_round.criteria.all()) if funding_round and criteria_locked else [],
            "phases": [(form[f"fund_{phase}"], form[f"cap_{phase}"]) for phase in Phase.values],
            "problems": problems,
            "conflict_rows": conflict_rows,
        },
        refused=bool(problems),
    )


@staff_required
@form_methods
def round_new(request: HttpRequest) -> HttpResponse:
    """Set up a round, from scratch or (`?copy=<id>`) starting from an earlier round's settings."""
    copy_from = None
    wanted = request.GET.get("copy", "").strip()
    if wanted:
        copy_from = FundingRound.objects.filter(pk=int(wanted)).first() if typed_digits(wanted) else None
        if copy_from is None:
            raise Http404("No round to copy")
    return _round_form_page(request, funding_round=None, copy_from=copy_from)


@staff_required
@form_methods
def round_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _round_form_page(request, funding_round=get_object_or_404(FundingRound, pk=pk), copy_from=None)


@staff_required
@require_safe
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    funding_round = get_object_or_404(FundingRound.objects.select_related("decisions_published_by"), pk=pk)
    overview = selectors.round_overview(funding_round=funding_round, user=request.user)
    return render(request, "pipeline/round.html", {"overview": overview, "funding_round": funding_round})


@staff_required
@form_methods
def round_close(request: HttpRequest, pk: int) -> HttpResponse:
    funding_round = get_object_or_404(FundingRound, pk=pk)
    form = CloseEarlyForm(posted(request))
    problems = []
    if funding_round.state != RoundState.OPEN:
        if request.method == "POST" and funding_round.state == RoundState.CLOSED:
            messages.info(request, f"{funding_round.name} is already closed")
            return redirect("pipeline:round", pk=pk)
        state = funding_round.get_state_display().lower()
        problems = [Problem(f"{funding_round.name} is {state}, so it cannot be closed")]
        form = None
    elif request.method == "POST" and form.is_valid():
        try:
            bid_services.round_close_early(
                funding_round=funding_round, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as error:
            apply_problems(form, error)
        else:
            messages.success(request, f"{funding_round.name} has closed: no more bids can be submitted")
            return redirect("pipeline:round", pk=pk)
    has_errors = bool(problems) or (form is not None and form.errors)
    return form_page(
        request,
        "pipeline/round_close.html",
        {"funding_round": funding_round, "form": form, "problems": problems},
        refused=bool(has_errors),
    )


ROUND_STEP_SERVICES = {
    "start_assessing": bid_services.round_start_assessing,
    "start_deciding": bid_services.round_start_deciding,
    "publish_decisions": bid_services.round_publish_decisions,
}
ROUND_STEP_RESULTS = {
    "start_assessing": RoundState.ASSESSING,
    "start_deciding": RoundState.DECIDING,
    "publish_decisions": RoundState.PUBLISHED,
}
ROUND_STEP_DONE = {
    "start_assessing": "{name} is assessing: assign assessors to its eligible bids",
    "start_deciding": "{name} is deciding: record an award or a decline for each scored bid",
    "publish_decisions": "{name}’s decisions are published: the councils are being told",
}


@staff_required
@form_methods
def round_move(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """Move the round on (start assessment, start decisions, publish decisions): GET says what will happen and
    why it may not yet; POST does it. A repeated confirmation (a double click) shows the round."""
    transition = selectors.STEP_SLUGS.get(step)
    if transition not in ROUND_STEP_SERVICES:
        raise Http404("Page not found")
    funding_round = get_object_or_404(FundingRound, pk=pk)
    problems: list[Problem] = []
    states = list(RoundState.values)
    if request.method != "POST" and states.index(funding_round.state) >= states.index(ROUND_STEP_RESULTS[transition]):
        # The step is done (Back to its page after confirming, or an old link): said so, on the round's page.
        if funding_round.state == ROUND_STEP_RESULTS[transition]:
            messages.info(request, ROUND_STEP_DONE[transition].format(name=funding_round.name))
        else:
            now_at = funding_round.get_state_display()
            messages.info(request, f"{funding_round.name} has already moved past this step: it is now at “{now_at}”")
        return redirect("pipeline:round", pk=pk)
    if request.method == "POST":
        if funding_round.state == ROUND_STEP_RESULTS[transition]:
            messages.info(request, ROUND_STEP_DONE[transition].format(name=funding_round.name))
            return redirect("pipeline:round", pk=pk)
        try:
            ROUND_STEP_SERVICES[transition](funding_round=funding_round, by=request.user)
        except ApplicationError as error:
            problems = error.problems
            funding_round.refresh_from_db()
            if funding_round.state == ROUND_STEP_RESULTS[transition]:
                # Both clicks of a double click in flight at once: the first moved the round on.
                messages.info(request, ROUND_STEP_DONE[transition].format(name=funding_round.name))
                return redirect("pipeline:round", pk=pk)
        else:
            messages.success(request, ROUND_STEP_DONE[transition].format(name=funding_round.name))
            return redirect("pipeline:round", pk=pk)
    else:
        problems = ROUND_MACHINE.refusals(funding_round, transition, request.user)
    return form_page(
        request,
        "pipeline/round_move.html",
        {
            "funding_round": funding_round,
            "transition": transition,
            "step": step,
            "problems": problems,
            "publication": selectors.round_publication(funding_round=funding_round)
            if transition == "publish_decisions"
            else None,
        },
        refused=bool(problems and request.method == "POST"),
    )


@staff_required
@require_POST
def round_remind(request: HttpRequest, pk: int, assessor_pk: int) -> HttpResponse:
    funding_round = get_object_or_404(FundingRound, pk=pk)
    assessor = get_object_or_404(User, pk=assessor_pk, role=Role.ASSESSOR)
    try:
        assessor_remind(funding_round=funding_round, assessor=assessor, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{assessor.full_name} has been reminded of the assessments they have to finish")
    return redirect(f"{reverse('pipeline:round', kwargs={'pk': pk})}#assessors")


# --- The eligibility sift ---------------------------------------------------------------------------------


@staff_required
@require_safe
def round_sift(request: HttpRequest, pk: int) -> HttpResponse:
    funding_round = get_object_or_404(FundingRound, pk=pk)
    return render(
        request,
        "pipeline/round_sift.html",
        {"funding_round": funding_round, "rows": selectors.round_sift_rows(funding_round=funding_round)},
    )


@staff_required
@form_methods
def bid_sift(request: HttpRequest, reference: str) -> HttpResponse:
    bid = selectors.bid_for_sift(reference=reference)
    form = SiftForm(posted(request))
    if request.method == "POST" and form.is_valid():
        eligible = form.cleaned_data["decision"] == SiftDecision.ELIGIBLE
        try:
            bid_services.bid_sift(bid=bid, by=request.user, eligible=eligible, note=form.cleaned_data["note"])
        except ApplicationError as error:
            apply_problems(form, error)
        else:
            verb = "eligible" if eligible else "ineligible: the councils are told why"
            messages.success(request, f"{bid.reference} is sifted {verb}")
            return redirect("pipeline:round_sift", pk=bid.funding_round_id)
    return form_page(
        request,
        "pipeline/bid_sift.html",
        {
            "bid": bid,
            "form": form,
            "checks": bid_sift_checklist(bid=bid),
            "decision": selectors.bid_sift_decision(bid),
            "similar": similar_work(bid=bid, user=request.user),
        },
        refused=bool(form.errors),
    )


# --- Clarification questions --------------------------------------------------------------------------------


@staff_required
@form_methods
def clarification_ask(request: HttpRequest, reference: str) -> HttpResponse:
    """Ask the bid's team a question, or send (edited or not) one an assessor proposed (`?proposal=<id>`)."""
    bid = selectors.staff_bid_get(user=request.user, reference=reference)
    wanted = request.POST.get("proposal") or request.GET.get("proposal") or ""
    proposal = None
    if wanted:
        proposal = next(
            (c for c in bid.clarifications.all() if str(c.pk) == wanted and c.status == ClarificationStatus.PROPOSED),
            None,
        )
        if proposal is None and request.method != "POST":
            messages.info(request, "That proposed question has already been sent or set aside")
            return redirect("pipeline:bid_detail", reference=bid.reference)
    if request.method == "POST" and wanted and proposal is None:
        # Sent or set aside meanwhile (or never one of this bid's): nothing is sent, and what was typed is kept, to
        # send as a question of one's own.
        data = request.POST.copy()
        data.pop("proposal", None)
        form = ClarificationAskForm(data)
        form.is_valid()
        form.add_error(
            "question",
            "That proposed question has already been sent or set aside. Send this as your own question, or go back "
            "to the bid",
        )
    elif request.method == "POST":
        form = ClarificationAskForm(request.POST)
        if form.is_valid():
            try:
                bid_services.clarification_ask(
                    bid=bid,
                    by=request.user,
                    question=form.cleaned_data["question"],
                    reply_by=form.cleaned_data["reply_by"],
                    proposal=proposal,
                )
            except ApplicationError as error:
                apply_problems(form, error)
            else:
                messages.success(request, f"Your question has been sent to {bid.lead_council}")
                return redirect("pipeline:bid_detail", reference=bid.reference)
    else:
        form = ClarificationAskForm(
            initial={"question": proposal.question if proposal else "", "proposal": proposal.pk if proposal else None}
        )
    return form_page(
        request,
        "pipeline/clarification_ask.html",
        {"bid": bid, "form": form, "proposal": proposal},
        refused=bool(form.errors),
    )


@staff_required
@require_POST
def clarification_discard(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    bid = selectors.staff_bid_get(user=request.user, reference=reference)
    clarification = one_of(bid.clarifications.all(), pk, "No question found")
    clarification.bid = bid
    try:
        bid_services.clarification_discard(clarification=clarification, by=request.user)
    except ApplicationError as error:
        messages.info(request, error.message)
    else:
        messages.success(request, "The proposed question has been set aside: it was not sent")
    return redirect("pipeline:bid_detail", reference=bid.reference)

"""Reads of the collaboration app: open calls for partners, a call as each person may see it, and similar work.

Who sees what of other councils' work (one rule, `similar_work`): council members see funded projects as the
public does (the fund's own rule, `bids.selectors.published_awards`, through their public text only) and
open calls for partners (the pitch only, never the draft); programme staff see every submitted bid of any
round, and open calls; assessors and everyone else see nothing extra.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from bids.choices import BidState, RoundState
from bids.conditions import RESUBMISSION_ROUND_STATES, round_takes_bid
from bids.models import Bid
from bids.selectors import council_state, lineage_links, published_awards
from collaboration.choices import CallStatus, MatchKind, RequestStatus
from collaboration.models import BidTextIndex, JoinRequest, PartnerCall
from collaboration.similarity import best, from_bytes, related_score, shared_terms, store
from councils.choices import Role
from councils.models import DISPLAY_NAME_FIELD, Council, User
from councils.selectors import user_council_ids

# A submitted bid: sent to the fund at least once and not a draft now (a bid returned for changes is a draft).
# The index keeps a copy (`BidTextIndex.submitted`) so candidates are read from its index alone.
SUBMITTED = Q(submitted_at__isnull=False) & ~Q(state=BidState.DRAFT)
# Not competing in its round any more, so never a "possible overlap".
OVERLAP_EXCLUDED_STATES = (BidState.WITHDRAWN, BidState.INELIGIBLE)
SIMILAR_LIMIT = 10


def open_calls(at: datetime | None = None) -> QuerySet[PartnerCall]:
    """Calls other councils can answer (`call_is_open`, as a query)."""
    at = at or timezone.now()
    round_open = Q(
        bid__funding_round__state=RoundState.OPEN,
        bid__funding_round__opens_at__lte=at,
        bid__funding_round__closes_at__gt=at,
    )
    returned = Q(bid__submitted_at__isnull=False, bid__funding_round__state__in=RESUBMISSION_ROUND_STATES)
    return PartnerCall.objects.filter(round_open | returned, status=CallStatus.OPEN, bid__state=BidState.DRAFT)


def call_is_open(call: PartnerCall, at: datetime | None = None) -> bool:
    """Other councils may ask to join, and the lead take them in: the call is open, on a draft its round still
    takes (`bids.conditions.round_takes_bid`: a draft the round no longer takes can never be submitted)."""
    return call.status == CallStatus.OPEN and call.bid.state == BidState.DRAFT and round_takes_bid(call.bid, at)


def is_council_member(user: User) -> bool:
    return bool(
        getattr(user, "is_authenticated", False) and user.role == Role.COUNCIL_MEMBER and user_council_ids(user)
    )


# --- Browsing and answering calls -------------------------------------------------------------------------


def partner_calls_search(
    *, words: str = "", phase: str = "", council_type: str = "", region: str = ""
) -> QuerySet[PartnerCall]:
    """Open calls, newest first, matching every word (in the pitch or the lead council's name) and the filters."""
    calls = open_calls().select_related("bid__lead_council", "bid__funding_round")
    for word in words.split()[:10]:
        calls = calls.filter(
            Q(title__icontains=word)
            | Q(problem__icontains=word)
            | Q(partners_do__icontains=word)
            | Q(**{f"bid__lead_council__{DISPLAY_NAME_FIELD}__icontains": word})
            | Q(bid__lead_council__short_name__icontains=word)
        )
    if phase:
        calls = calls.filter(bid__phase=phase)
    if council_type:
        calls = calls.filter(bid__lead_council__council_type=council_type)
    if region:
        calls = calls.filter(bid__lead_council__region=region)
    return calls.order_by("-opened_at", "pk")


@dataclass
class CallView:
    """A call as one council member sees it: the pitch, and their councils' part in it."""

    call: PartnerCall
    is_lead: bool
    my_requests: list[JoinRequest]
    # The user's councils that may ask now: signatories, not the lead, not in the bid, not already waiting.
    can_ask_for: list
    partner_councils: list = field(default_factory=list)


def partner_call_for_user(*, user: User, reference: str) -> CallView:
    """The call on this bid if the user may see it: an open call to any council member or staff; a closed one
    only to the lead council and to councils that asked to join. 404 otherwise."""
    call = (
        PartnerCall.objects.select_related("bid__lead_council", "bid__funding_round")
        .filter(bid__reference=reference)
        .first()
    )
    if call is None or not user.has_perm("collaboration.browse_calls"):
        raise Http404("No call for partners found")
    council_ids = user_council_ids(user)
    bid = call.bid
    my_requests = list(
        call.requests.filter(council_id__in=council_ids).select_related("council").order_by("-created_at")
    )
    is_lead = bid.lead_council_id in council_ids
    is_open = call_is_open(call)
    if not (is_open or is_lead or my_requests or user.has_perm("bids.view_all_bids")):
        raise Http404("No call for partners found")
    in_bid = set(bid.partners.filter(status__in=("invited", "confirmed")).values_list("council_id", flat=True))
    waiting = {r.council_id for r in my_requests if r.status == RequestStatus.PENDING}
    can_ask_for = (
        [
            council
            for council in Council.objects.filter(pk__in=council_ids).order_by(DISPLAY_NAME_FIELD)
            if council.is_signatory and council.pk != bid.lead_council_id and council.pk not in in_bid | waiting
        ]
        if is_open and not user.has_perm("bids.view_all_bids")
        else []
    )
    return CallView(call=call, is_lead=is_lead, my_requests=my_requests, can_ask_for=can_ask_for)


def partner_call_of(*, bid: Bid) -> PartnerCall | None:
    return PartnerCall.objects.filter(bid=bid).first()


def join_requests_of(*, call: PartnerCall) -> list[JoinRequest]:
    return list(call.requests.select_related("council", "by", "decided_by").order_by("-created_at", "-pk"))


def join_request_for_lead(*, user: User, bid: Bid, request_id: int) -> JoinRequest:
    request = (
        JoinRequest.objects.select_related("call__bid", "council", "by").filter(pk=request_id, call__bid=bid).first()
    )
    if request is None or not user.has_perm("collaboration.manage_call", bid):
        raise Http404("No such request")
    return request


def call_panel(*, bid: Bid) -> dict:
    """What the task list says about the bid's call for partners: the call and how many requests wait."""
    call = (
        PartnerCall.objects.filter(bid=bid)
        .annotate(waiting=Count("requests", filter=Q(requests__status=RequestStatus.PENDING)))
        .first()
    )
    return {"call": call, "waiting": call.waiting if call else 0}


# --- Similar work -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SimilarWork:
    """One piece of related work as the viewer may see it, with why it matched."""

    kind: str
    reference: str
    title: str
    lead_council: str
    lead_council_code: str
    state: str
    state_label: str
    round_code: str
    round_name: str
    score: float
    shared_terms: list[str]
    same_round: bool
    url: str

    @property
    def kind_label(self) -> str:
        return MatchKind(self.kind).label

    @property
    def percent(self) -> int:
        return round(self.score * 100)


def _audience(user: User) -> str:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return ""
    if user.has_perm("bids.view_all_bids"):
        return "staff"
    if is_council_member(user):
        return "council"
    return ""


def _fetch_bid_vectors(column: str):
    def fetch(keys: list) -> Iterable[tuple]:
        return BidTextIndex.objects.filter(bid_id__in=keys).values_list("bid_id", "version", column)

    return fetch


def _fetch_call_vectors(keys: list) -> Iterable[tuple]:
    return PartnerCall.objects.filter(pk__in=keys).values_list("pk", "version", "vector")


def similar_work(
    *, bid: Bid, user: User, limit: int = SIMILAR_LIMIT, threshold: float | None = None
) -> list[SimilarWork]:
    """Related work for a bid the user may already see, best first, only what the user may see, each at or
    above the RELATED score (settings.SIMILAR_WORK_RELATED_SCORE). The bid's own project line (its earlier
    and later phases) is left out: the bid's pages show it as the project's phases. `threshold` other than the
    RELATED score is for measuring the ranking itself (tests, benchmark), never for pages.

    Reads the bid's vector, the candidates' ids and versions (one query per kind of candidate), any vectors
    this process has not got at that version, and the winners' details; the scores are one matrix product.
    """
    audience = _audience(user)
    if not audience:
        return []
    own = BidTextIndex.objects.filter(bid=bid).values_list("vector", "terms").first()
    query = from_bytes(own[0]) if own else None
    if query is None:
        return []
    own_terms = own[1] or {}
    family = set(lineage_links(bid_ids=[bid.pk])) | {bid.pk}
    threshold = related_score() if threshold is None else threshold
    scored: list[tuple[object, float]] = []
    if audience == "staff":
        # Read from the index alone (its copy of "submitted" and a covering index): ids and versions.
        candidates = list(
            BidTextIndex.objects.filter(submitted=True)
            .exclude(bid_id__in=family)
            .exclude(version=0)
            .values_list("bid_id", "version")
        )
        found = store("bid").scores(query, candidates, _fetch_bid_vectors("vector"), threshold, limit)
        scored += [(("bid", key), score) for key, score in found]
    else:
        candidates = list(
            BidTextIndex.objects.filter(bid__in=published_awards())
            .exclude(bid_id__in=family)
            .exclude(version=0)
            .values_list("bid_id", "version")
        )
        found = store("public").scores(query, candidates, _fetch_bid_vectors("public_vector"), threshold, limit)
        scored += [(("funded", key), score) for key, score in found]
    calls = list(open_calls().exclude(bid_id__in=family).exclude(version=0).values_list("pk", "version"))
    found = store("call").scores(query, calls, _fetch_call_vectors, threshold, limit)
    scored += [(("call", key), score) for key, score in found]
    winners = best(scored, limit=limit, threshold=threshold)
    return _describe(bid, winners, own_terms, staff=audience == "staff")


def _describe(bid: Bid, winners: list, own_terms: dict, *, staff: bool) -> list[SimilarWork]:
    bid_ids = [key for (kind, key), _score in winners if kind in ("bid", "funded")]
    call_ids = [key for (kind, key), _score in winners if kind == "call"]
    bids = {
        row.pk: row
        for row in Bid.objects.filter(pk__in=bid_ids)
        .select_related("funding_round", "lead_council", "text_index")
        .only(
            "reference",
            "title",
            "state",
            "funding_round_id",
            "funding_round__code",
            "funding_round__name",
            "funding_round__state",
            "lead_council__register_code",
            f"lead_council__{DISPLAY_NAME_FIELD}",
            "text_index__terms",
            "text_index__public_terms",
        )
    }
    calls = {
        row.pk: row
        for row in PartnerCall.objects.filter(pk__in=call_ids)
        .select_related("bid__funding_round", "bid__lead_council")
        .only(
            "title",
            "terms",
            "bid__reference",
            "bid__state",
            "bid__funding_round_id",
            "bid__funding_round__code",
            "bid__funding_round__name",
            "bid__lead_council__register_code",
            f"bid__lead_council__{DISPLAY_NAME_FIELD}",
        )
    }
    found = []
    for (kind, key), score in winners:
        if kind == "call":
            call = calls.get(key)
            if call is None:
                continue
            other, title, terms = call.bid, call.title, call.terms
            state = BidState.DRAFT
            url = reverse("collaboration:call", kwargs={"reference": other.reference})
        else:
            other = bids.get(key)
            if other is None:
                continue
            index = getattr(other, "text_index", None)
            title = other.title or "Untitled bid"
            terms = (index.terms if kind == "bid" else index.public_terms) if index else {}
            state = other.state if staff else council_state(other.state, other.funding_round.state)
            url = (
                reverse("pipeline:bid_detail", kwargs={"reference": other.reference})
                if staff
                else reverse("pipeline:funded") + f"?round={other.funding_round_id}"
            )
        found.append(
            SimilarWork(
                kind=kind,
                reference=other.reference,
                title=title,
                lead_council=other.lead_council.name,
                lead_council_code=other.lead_council.register_code,
                state=state,
                state_label="Looking for partners" if kind == "call" else BidState(state).label,
                round_code=other.funding_round.code,
                round_name=other.funding_round.name,
                score=round(float(score), 3),
                shared_terms=shared_terms(own_terms, terms or {}),
                same_round=other.funding_round_id == bid.funding_round_id,
                url=url,
            )
        )
    return found


def overlap_bids(*, bid: Bid) -> list[Bid]:
    """The submitted bids of the same round stored as possible overlaps of this one (staff pages)."""
    ids = BidTextIndex.objects.filter(bid=bid).values_list("overlaps", flat=True).first() or []
    return list(Bid.objects.filter(pk__in=ids).select_related("lead_council").order_by("number"))


def vectors_ready(*, bid: Bid) -> bool:
    return BidTextIndex.objects.filter(bid=bid).exclude(version=0).exists()


def regions() -> list[str]:
    """The regions councils are in, for the search filter (one query over the council register)."""
    return list(Council.objects.order_by("region").values_list("region", flat=True).distinct())

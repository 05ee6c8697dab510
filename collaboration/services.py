"""Every write of the collaboration app: calls for partners and requests to join them, and the similar-work
index (kept current as bids change, rebuilt whole by `manage.py rebuild_similarity_index`).

Embedding text takes a model pass (tens of milliseconds a text), so it never runs in the transaction that
changed the text: that transaction marks the index row stale, and after commit a Celery task re-embeds it
SIMILARITY_INDEX_DELAY seconds later, so a council saving section after section embeds its bid once (or the
process does it at once when SIMILARITY_INDEX_INLINE is set, as in the demo, where Celery runs eagerly anyway).
A task the broker loses leaves the row stale, and the sweep (beat, every few minutes) picks it up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from functools import partial

import numpy as np
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from bids.choices import BidState, PartnerStatus
from bids.conditions import round_takes_bid
from bids.models import Bid, FundingRound
from bids.selectors import bid_lead_members, no_longer_a_draft
from bids.services import partner_add_confirmed
from collaboration.choices import CallStatus, CloseReason, RequestStatus
from collaboration.models import BidTextIndex, JoinRequest, PartnerCall
from collaboration.selectors import OVERLAP_EXCLUDED_STATES, call_is_open
from collaboration.similarity import (
    BID_PARTS,
    PITCH_PARTS,
    PUBLIC_PARTS,
    embed_many,
    from_bytes,
    new_version,
    related_score,
    terms_of,
    text_hash,
    to_bytes,
)
from core.exceptions import ApplicationError, Problem
from core.formatting import deadline_day, govuk_date, word_count
from core.transitions import required_text
from councils.models import Council, User
from councils.selectors import council_members, user_council_ids
from notifications.choices import Event
from notifications.services import notify

logger = logging.getLogger(__name__)

PITCH_WORD_LIMIT = 150
MESSAGE_WORD_LIMIT = 200
CALL_CLOSED = "This call for partners has closed"
SWEEP_AFTER_SECONDS = 60
SWEEP_BATCH = 200
REBUILD_BATCH = 64


# --- Running index work after commit ----------------------------------------------------------------------


def _after_commit(task_name: str, *args: int, delay: float = 0) -> None:
    transaction.on_commit(partial(_run, task_name, *args, delay=delay), robust=True)


def _run(task_name: str, *args: int, delay: float = 0) -> None:
    from collaboration import tasks

    task = getattr(tasks, task_name)
    if settings.SIMILARITY_INDEX_INLINE:
        task(*args)
        return
    try:
        task.apply_async(args=args, countdown=delay or None)
    except Exception:
        # The row stays stale: the sweep indexes it once the broker is back.
        logger.warning("Could not queue %s%s; the sweep will do it", task_name, args, exc_info=True)


# --- The index ------------------------------------------------------------------------------------------


def is_submitted(bid: Bid) -> bool:
    """Sent to the fund at least once and not a draft now (a bid returned for changes is a draft again)."""
    return bid.submitted_at is not None and bid.state != BidState.DRAFT


def bid_text_index_mark(*, bid: Bid) -> None:
    """In the transaction that changed the bid's text: note that its index row must be embedded again, then
    (after commit) ask for that, SIMILARITY_INDEX_DELAY seconds on. A model pass costs most of a second of CPU
    a bid (measured in bench/rush.py), and the tasks of every save in that time find the text embedded already
    and stop there, so a bid's sections saved one after another cost one pass, not one each."""
    now = timezone.now()
    updated = BidTextIndex.objects.filter(bid=bid).update(stale=True, marked_at=now)
    if not updated:
        BidTextIndex.objects.get_or_create(
            bid=bid, defaults={"stale": True, "marked_at": now, "submitted": is_submitted(bid)}
        )
    _after_commit("index_bid", bid.pk, delay=settings.SIMILARITY_INDEX_DELAY)


def bid_text_index_follow_state(*, bid: Bid) -> None:
    """In the transaction that changed the bid's state: keep the index's copy of "submitted" true."""
    BidTextIndex.objects.filter(bid=bid).update(submitted=is_submitted(bid))


def _bid_values(bid: Bid) -> dict[str, str]:
    return {name: getattr(bid, name) or "" for name in BID_PARTS}


def bid_text_index_refresh(*, bid_id: int) -> BidTextIndex | None:
    """Embed the bid's text now, unless it is unchanged since last time. Safe to run twice or late: the text is
    read now, and the row stays stale if the text changed again meanwhile (compare-and-set on `marked_at`)."""
    bid = Bid.objects.filter(pk=bid_id).only("pk", "funding_round_id", "state", "submitted_at", *BID_PARTS).first()
    if bid is None:
        return None
    row, _created = BidTextIndex.objects.get_or_create(bid=bid, defaults={"submitted": is_submitted(bid)})
    values = _bid_values(bid)
    [embedded] = embed_many([values], names=BID_PARTS, public=PUBLIC_PARTS) if _changed(row, values) else [None]
    if embedded is None:
        BidTextIndex.objects.filter(pk=row.pk, marked_at=row.marked_at).update(stale=False)
        return row
    fields = {
        "vector": to_bytes(embedded.vector),
        "public_vector": to_bytes(embedded.public_vector),
        "terms": terms_of(values, BID_PARTS),
        "public_terms": terms_of(values, PUBLIC_PARTS),
        "text_hash": embedded.text_hash,
        "version": new_version(),
        "indexed_at": timezone.now(),
        "submitted": is_submitted(bid),
    }
    done = BidTextIndex.objects.filter(pk=row.pk, marked_at=row.marked_at).update(stale=False, **fields)
    if not done:
        BidTextIndex.objects.filter(pk=row.pk).update(**fields)
    if is_submitted(bid):  # a draft's text changes no overlap: only submitted bids are compared
        round_overlaps_refresh(funding_round_id=bid.funding_round_id)
    row.refresh_from_db()
    return row


def _changed(row: BidTextIndex, values: dict[str, str]) -> bool:
    return not row.version or row.text_hash != text_hash(values, BID_PARTS)


def partner_call_index_refresh(*, call_id: int) -> PartnerCall | None:
    """Embed a call's pitch (its title and problem) now; as for bids, safe to run twice or late."""
    call = PartnerCall.objects.filter(pk=call_id).first()
    if call is None:
        return None
    values = {"title": call.title, "problem": call.problem}
    [embedded] = embed_many([values], names=PITCH_PARTS)
    fields = {"vector": to_bytes(embedded.vector), "terms": terms_of(values, PITCH_PARTS), "version": new_version()}
    if not PartnerCall.objects.filter(pk=call.pk, marked_at=call.marked_at).update(stale=False, **fields):
        PartnerCall.objects.filter(pk=call.pk).update(**fields)
    return call


def round_overlaps_refresh(*, funding_round_id: int) -> int:
    """Work out again which submitted bids of the round look like the same work (score at or above RELATED),
    and store each bid's list for the staff table's flag. One matrix product over the round's bids; writes
    only the rows whose list changed. Returns how many changed."""
    rows = list(
        BidTextIndex.objects.filter(bid__funding_round_id=funding_round_id).values_list(
            "pk", "bid_id", "vector", "overlaps", "bid__state", "bid__submitted_at"
        )
    )
    contenders = [
        (pk, bid_id, vector)
        for pk, bid_id, data, _overlaps, state, submitted_at in rows
        if submitted_at is not None
        and state not in (BidState.DRAFT, *OVERLAP_EXCLUDED_STATES)
        and (vector := from_bytes(data)) is not None
    ]
    wanted: dict[int, list[int]] = {pk: [] for pk, *_rest in rows}
    if len(contenders) > 1:
        matrix = np.stack([vector for _pk, _bid_id, vector in contenders])
        scores = matrix @ matrix.T
        threshold = related_score()
        for i, (pk, _bid_id, _vector) in enumerate(contenders):
            wanted[pk] = sorted(contenders[j][1] for j in np.nonzero(scores[i] >= threshold)[0].tolist() if j != i)
    changed = []
    for pk, _bid_id, _data, overlaps, _state, _submitted_at in rows:
        if list(overlaps or []) != wanted[pk]:
            changed.append(BidTextIndex(pk=pk, overlaps=wanted[pk], overlap_count=len(wanted[pk])))
    BidTextIndex.objects.bulk_update(changed, ["overlaps", "overlap_count"], batch_size=500)
    return len(changed)


def round_overlaps_schedule(*, funding_round_id: int) -> None:
    """After commit, work out the round's overlaps again (a bid was submitted, withdrawn or returned)."""
    _after_commit("refresh_overlaps", funding_round_id)


def similarity_index_rebuild(*, progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Rebuild the whole index from the database: every bid's vectors and words, every call's, then every
    round's overlaps. Embeds in batches; `progress(n)` is told after each batch of bids."""
    total = 0
    last_pk = 0
    while True:
        bids = list(
            Bid.objects.filter(pk__gt=last_pk)
            .order_by("pk")
            .only("pk", "state", "submitted_at", *BID_PARTS)[:REBUILD_BATCH]
        )
        if not bids:
            break
        values = [_bid_values(bid) for bid in bids]
        embedded = embed_many(values, names=BID_PARTS, public=PUBLIC_PARTS)
        existing = dict(BidTextIndex.objects.filter(bid__in=bids).values_list("bid_id", "pk"))
        now = timezone.now()
        rows = [
            BidTextIndex(
                pk=existing.get(bid.pk),
                bid=bid,
                vector=to_bytes(item.vector),
                public_vector=to_bytes(item.public_vector),
                terms=terms_of(value, BID_PARTS),
                public_terms=terms_of(value, PUBLIC_PARTS),
                text_hash=item.text_hash,
                version=new_version(),
                submitted=is_submitted(bid),
                stale=False,
                indexed_at=now,
            )
            for bid, value, item in zip(bids, values, embedded, strict=True)
        ]
        fields = [
            "vector",
            "public_vector",
            "terms",
            "public_terms",
            "text_hash",
            "version",
            "submitted",
            "stale",
            "indexed_at",
        ]
        with transaction.atomic():
            BidTextIndex.objects.bulk_update([row for row in rows if row.pk], fields)
            BidTextIndex.objects.bulk_create([row for row in rows if not row.pk])
        total += len(bids)
        last_pk = bids[-1].pk
        if progress is not None:
            progress(len(bids))
    calls = 0
    for call_id in PartnerCall.objects.values_list("pk", flat=True):
        partner_call_index_refresh(call_id=call_id)
        calls += 1
    overlaps = sum(
        round_overlaps_refresh(funding_round_id=pk) for pk in FundingRound.objects.values_list("pk", flat=True)
    )
    return {"bids": total, "calls": calls, "overlaps_changed": overlaps}


def similarity_index_sweep(*, limit: int = SWEEP_BATCH) -> int:
    """Index what a lost task left stale (the broker was down): rows marked more than a minute before their task
    was due."""
    cutoff = timezone.now() - timezone.timedelta(seconds=SWEEP_AFTER_SECONDS + settings.SIMILARITY_INDEX_DELAY)
    bid_ids = list(
        BidTextIndex.objects.filter(stale=True, marked_at__lte=cutoff).values_list("bid_id", flat=True)[:limit]
    )
    for bid_id in bid_ids:
        bid_text_index_refresh(bid_id=bid_id)
    call_ids = list(PartnerCall.objects.filter(stale=True, marked_at__lte=cutoff).values_list("pk", flat=True)[:limit])
    for call_id in call_ids:
        partner_call_index_refresh(call_id=call_id)
    return len(bid_ids) + len(call_ids)


# --- Calls for partners -----------------------------------------------------------------------------------


def _pitch_snapshot(call: PartnerCall) -> dict:
    """What a message about a call needs: its pitch, never the draft's own content."""
    bid = call.bid
    return {
        "reference": bid.reference,
        "title": call.title,
        "lead_council": bid.lead_council.name,
        "round": bid.funding_round.name,
        "call_path": reverse("collaboration:call", kwargs={"reference": bid.reference}),
        "manage_path": reverse("collaboration:pitch", kwargs={"reference": bid.reference}),
        "bid_path": reverse("bids:detail", kwargs={"reference": bid.reference}),
        "calls_path": reverse("collaboration:calls"),
    }


def _require_lead(bid: Bid, by: User) -> None:
    if not by.has_perm("collaboration.manage_call", bid):
        raise ApplicationError("Only members of the lead council can look for partners for this bid")
    if bid.state != BidState.DRAFT:
        raise ApplicationError(f"{no_longer_a_draft(bid)}, so its call for partners has closed")
    if not round_takes_bid(bid):
        raise ApplicationError(f"{bid.funding_round.name} is not open for bids, so this bid cannot look for partners")


def partner_call_save(
    *, bid: Bid, by: User, title: str, problem: str, partners_do: str, join_by: date | None
) -> PartnerCall:
    """Mark a draft "looking for partners" with its pitch, change the pitch, or open a closed call again."""
    _require_lead(bid, by)
    values = {
        "title": " ".join((title or "").split()),
        "problem": (problem or "").strip(),
        "partners_do": (partners_do or "").strip(),
    }
    problems = []
    for name, message in (
        ("title", "Enter a title for your call"),
        ("problem", "Describe the problem"),
        ("partners_do", "Say what partners would do"),
    ):
        if not values[name]:
            problems.append(Problem(message, field=name))
    for name, label in (("problem", "problem"), ("partners_do", "what partners would do")):
        if word_count(values[name]) > PITCH_WORD_LIMIT:
            problems.append(Problem(f"Describe {label} in {PITCH_WORD_LIMIT} words or fewer", field=name))
    closes = deadline_day(bid.funding_round.closes_at)
    if join_by is None:
        problems.append(Problem("Enter the date by which partners should join", field="join_by"))
    elif join_by < timezone.localdate():
        problems.append(Problem("The date by which partners should join must be today or later", field="join_by"))
    elif join_by > closes:
        message = (
            f"The date by which partners should join must be on or before {govuk_date(closes)}, when the round closes"
        )
        problems.append(Problem(message, field="join_by"))
    if problems:
        raise ApplicationError(problems[0].message, problems=problems)
    now = timezone.now()
    with transaction.atomic():
        call = PartnerCall.objects.select_for_update().filter(bid=bid).first()
        if call is None:
            call = PartnerCall(bid=bid, opened_by=by)
        if call.status == CallStatus.CLOSED:
            call.status, call.opened_by, call.opened_at = CallStatus.OPEN, by, now
            call.closed_at, call.closed_by, call.closed_reason = None, None, ""
        call.title, call.problem, call.partners_do, call.join_by = (
            values["title"],
            values["problem"],
            values["partners_do"],
            join_by,
        )
        call.stale, call.marked_at = True, now
        call.save()
        _after_commit("index_call", call.pk)
    return call


def partner_call_close(*, call: PartnerCall, by: User | None, reason: str = CloseReason.BY_LEAD) -> PartnerCall:
    """Close a call: by the lead council (`by`), or by the system when its bid is submitted or withdrawn
    (`by=None`). Requests still waiting close with it, and their councils hear so."""
    if by is not None and not by.has_perm("collaboration.manage_call", call.bid):
        raise ApplicationError("Only members of the lead council can close this call")
    with transaction.atomic():
        locked = (
            PartnerCall.objects.select_for_update()
            .select_related("bid__lead_council", "bid__funding_round")
            .get(pk=call.pk)
        )
        if locked.status == CallStatus.CLOSED:
            return locked
        now = timezone.now()
        locked.status, locked.closed_at, locked.closed_by, locked.closed_reason = CallStatus.CLOSED, now, by, reason
        locked.save(update_fields=["status", "closed_at", "closed_by", "closed_reason", "updated_at"])
        waiting = list(locked.requests.filter(status=RequestStatus.PENDING))
        JoinRequest.objects.filter(pk__in=[r.pk for r in waiting]).update(status=RequestStatus.CLOSED, decided_at=now)
        if waiting:
            notify(
                event=Event.PARTNER_CALL_CLOSED,
                recipients=council_members(council_ids=[r.council_id for r in waiting]),
                context={**_pitch_snapshot(locked), "closed_reason": CloseReason(reason).label},
                key=f"{Event.PARTNER_CALL_CLOSED}:{locked.pk}:{now.timestamp()}",
            )
    return locked


def partner_calls_close_for_bid(*, bid: Bid, reason: str) -> None:
    """The bid was submitted or withdrawn: its open call closes, recorded with why."""
    call = PartnerCall.objects.filter(bid=bid, status=CallStatus.OPEN).first()
    if call is not None:
        partner_call_close(call=call, by=None, reason=reason)


def join_request_create(*, call: PartnerCall, council: Council, by: User, message: str) -> JoinRequest:
    """A member of a signatory council asks for it to join the call's bid, with a message the lead reads."""
    message = required_text(message, "Enter a message to the lead council", field="message")
    if word_count(message) > MESSAGE_WORD_LIMIT:
        raise ApplicationError(
            f"Your message must be {MESSAGE_WORD_LIMIT} words or fewer",
            problems=[Problem(f"Your message must be {MESSAGE_WORD_LIMIT} words or fewer", field="message")],
        )
    bid = call.bid
    if council.pk not in user_council_ids(by):
        raise ApplicationError(f"You are not a member of {council}, so you cannot ask for it to join")
    if not call_is_open(call):
        raise ApplicationError(CALL_CLOSED)
    if council.pk == bid.lead_council_id:
        raise ApplicationError(f"{council} leads this bid")
    if not council.is_signatory:
        raise ApplicationError(f"{council} has not signed the Local Digital Declaration, so it cannot be a partner")
    status = bid.partners.filter(council=council).values_list("status", flat=True).first()
    if status in (PartnerStatus.INVITED, PartnerStatus.CONFIRMED):
        part = "invited to" if status == PartnerStatus.INVITED else "a partner in"
        raise ApplicationError(f"{council} is already {part} this bid")
    with transaction.atomic():
        # Checked again under the call's lock: a call closed (or its bid submitted) meanwhile takes no request.
        locked = PartnerCall.objects.select_for_update().select_related("bid__funding_round").filter(pk=call.pk).first()
        if locked is None or not call_is_open(locked):
            raise ApplicationError(CALL_CLOSED)
        if call.requests.filter(council=council, status=RequestStatus.PENDING).exists():
            raise ApplicationError(f"{council} has already asked to join: the lead council will answer")
        request = JoinRequest.objects.create(call=call, council=council, by=by, message=message)
        notify(
            event=Event.PARTNER_CALL_REQUEST,
            recipients=bid_lead_members(bid=bid),
            context={
                **_pitch_snapshot(call),
                "partner_council": council.name,
                "requested_by": by.full_name,
                "message": message,
                "request_path": reverse(
                    "collaboration:request", kwargs={"reference": bid.reference, "request_id": request.pk}
                ),
            },
            key=f"{Event.PARTNER_CALL_REQUEST}:{request.pk}",
        )
    return request


def _answer(request: JoinRequest, by: User, status: str, reason: str) -> None:
    request.status, request.decided_by, request.decided_at, request.reason = status, by, timezone.now(), reason
    request.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    notify(
        event=Event.PARTNER_CALL_ANSWERED,
        recipients=council_members(council_ids=[request.council_id]),
        context={
            **_pitch_snapshot(request.call),
            "partner_council": request.council.name,
            "response": "accepted" if status == RequestStatus.ACCEPTED else "declined",
            "reason": reason,
        },
        key=f"{Event.PARTNER_CALL_ANSWERED}:{request.pk}",
    )


def _require_pending(request: JoinRequest, by: User) -> None:
    if not by.has_perm("collaboration.manage_call", request.call.bid):
        raise ApplicationError("Only members of the lead council can answer this request")
    if request.status != RequestStatus.PENDING:
        raise ApplicationError(f"This request has already been answered: {request.get_status_display().lower()}")


def join_request_accept(*, request: JoinRequest, by: User) -> JoinRequest:
    """The lead accepts: the council becomes a confirmed partner through the bid's own partner rules
    (`bids.services.partner_add_confirmed`, which keeps the conflict-of-interest invariant), and hears so."""
    _require_pending(request, by)
    if request.by is None:
        raise ApplicationError("The person who asked no longer has an account: ask the council to ask again")
    with transaction.atomic():
        locked = (
            JoinRequest.objects.select_for_update()
            .select_related("call__bid__funding_round", "council")
            .get(pk=request.pk)
        )
        _require_pending(locked, by)
        if not call_is_open(locked.call):
            raise ApplicationError(CALL_CLOSED)
        partner_add_confirmed(bid=locked.call.bid, council=locked.council, by=by, confirmed_by=request.by)
        _answer(locked, by, RequestStatus.ACCEPTED, "")
    return locked


def join_request_decline(*, request: JoinRequest, by: User, reason: str) -> JoinRequest:
    reason = required_text(reason, "Enter why you are declining, so the council knows", field="reason")
    _require_pending(request, by)
    with transaction.atomic():
        locked = JoinRequest.objects.select_for_update().select_related("call__bid", "council").get(pk=request.pk)
        _require_pending(locked, by)
        _answer(locked, by, RequestStatus.DECLINED, reason)
    return locked

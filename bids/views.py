"""Council-facing bid pages. Views are thin: a selector fetches (404 if not allowed), a service writes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from bids.choices import PartnerStatus
from bids.models import BidPartner
from bids.selectors import bid_get_for_user, bid_history, bid_visible_queryset
from bids.services import partner_respond
from councils.exceptions import ApplicationError
from councils.rules import user_council_ids


@login_required
def bid_list(request: HttpRequest) -> HttpResponse:
    bids = (
        bid_visible_queryset(user=request.user).select_related("funding_round", "lead_council").order_by("-updated_at")
    )
    page = Paginator(bids, 50).get_page(request.GET.get("page"))
    return render(request, "bids/bid_list.html", {"page": page})


@login_required
def bid_detail(request: HttpRequest, reference: str) -> HttpResponse:
    bid = bid_get_for_user(user=request.user, reference=reference)
    return render(request, "bids/bid_detail.html", {"bid": bid, "history": bid_history(bid=bid)})


@login_required
@require_http_methods(["GET", "POST"])
def invitation_respond(request: HttpRequest, reference: str) -> HttpResponse:
    bid = bid_get_for_user(user=request.user, reference=reference)
    partner = get_object_or_404(
        BidPartner.objects.select_related("council", "bid"),
        bid=bid,
        council_id__in=user_council_ids(request.user),
        status=PartnerStatus.INVITED,
    )
    error = None
    if request.method == "POST":
        answer = request.POST.get("answer")
        if answer not in ("confirm", "decline"):
            error = "Select whether your council takes part in this bid"
        else:
            try:
                partner_respond(partner=partner, by=request.user, confirm=answer == "confirm")
            except ApplicationError as exc:
                error = str(exc)
            else:
                verb = "confirmed" if answer == "confirm" else "declined"
                messages.success(request, f"You have {verb} {partner.council}'s part in {bid.reference}")
                return redirect("bids:list")
    return render(
        request, "bids/invitation.html", {"bid": bid, "partner": partner, "error": error}, status=400 if error else 200
    )

"""Celery tasks of the similar-work index. Thin: they take ids, re-read, call one service; safe to run twice."""

from __future__ import annotations

from celery import shared_task

from collaboration import services


@shared_task(name="collaboration.index_bid", ignore_result=True, acks_late=True)
def index_bid(bid_id: int) -> None:
    services.bid_text_index_refresh(bid_id=bid_id)


@shared_task(name="collaboration.index_call", ignore_result=True, acks_late=True)
def index_call(call_id: int) -> None:
    services.partner_call_index_refresh(call_id=call_id)


@shared_task(name="collaboration.refresh_overlaps", ignore_result=True, acks_late=True)
def refresh_overlaps(funding_round_id: int) -> None:
    services.round_overlaps_refresh(funding_round_id=funding_round_id)


@shared_task(name="collaboration.sweep_index", ignore_result=True)
def sweep_index() -> int:
    return services.similarity_index_sweep()

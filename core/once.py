"""Forms that make something are acted on once.

A page whose form makes something new (a question, a cost line, a bid, a milestone, a change request…) carries a
one-time token (`{% sent_once %}`). `SentOnceMiddleware` records the token before the view runs: a second sending
of the same page (a double click with JavaScript off, Back and send again, a form sent from two tabs) finds it
taken and is sent where the first sending led, with a message, so nothing is made twice. A sending that was
refused (the page shown again with what to fix) frees its token: the page shown again carries a new one anyway.
GOV.UK Frontend's `data-prevent-double-click` does the same in the browser, when JavaScript runs.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import timedelta

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from core.models import SentForm

FIELD = "sent_once"
TOKEN = re.compile(r"[0-9a-f]{32}")
SENT_TWICE = "You sent this form twice. It was acted on once"
# How long a token is remembered: far longer than anyone keeps a page open before sending it again.
KEPT = timedelta(days=2)


def new_token() -> str:
    return uuid.uuid4().hex


class SentOnceMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = self._token(request)
        if token is None:
            return self.get_response(request)
        try:
            with transaction.atomic():
                sent = SentForm.objects.create(token=token, user=request.user, path=request.path[:500])
        except IntegrityError:
            first = SentForm.objects.filter(token=token, user=request.user).first()
            messages.info(request, SENT_TWICE)
            return redirect(first.location if first is not None and first.location else request.get_full_path())
        response = self.get_response(request)
        if response.status_code in (301, 302, 303) and response.has_header("Location"):
            SentForm.objects.filter(pk=sent.pk).update(location=response["Location"][:1000])
        else:
            SentForm.objects.filter(pk=sent.pk).delete()
        SentForm.objects.filter(sent_at__lt=timezone.now() - KEPT).delete()
        return response

    @staticmethod
    def _token(request: HttpRequest) -> str | None:
        if request.method != "POST" or not getattr(request, "user", None) or not request.user.is_authenticated:
            return None
        token = request.POST.get(FIELD, "")
        return token if TOKEN.fullmatch(token) else None

"""The second step of sign-in, enforced on every page."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from councils.signin import HAS_DEVICE, NOT_USED, TWO_FACTOR_SESSION_KEY, is_verified, two_factor_state

# Pages a signed-in person may see before the second step.
OPEN_BEFORE_SECOND_STEP = frozenset(
    {
        "logout",
        "accessibility",
        "two_factor_challenge",
        "two_factor_recovery",
        "two_factor_setup",
        "two_factor_qr",
    }
)


class TwoFactorMiddleware:
    """A signed-in person who has an authenticator app is asked for its code before any page; programme staff,
    assessors and administrators without one set one up first. Council users without one carry on.

    The state is read from the session (worked out at sign-in), so pages pay no query for it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or is_verified(request):
            return None
        state = request.session.get(TWO_FACTOR_SESSION_KEY)
        if state is None:  # a session from before two-factor sign-in existed
            state = request.session[TWO_FACTOR_SESSION_KEY] = two_factor_state(user)
        if state == NOT_USED:
            return None
        # The page (one of the second step's own) shows no links the person cannot follow yet.
        request.two_factor_pending = True
        match = request.resolver_match
        if match is not None and match.url_name in OPEN_BEFORE_SECOND_STEP and not match.namespace:
            return None
        if request.path_info.startswith("/api/"):
            # A program reading the API cannot follow the sign-in pages: it is told, in JSON, as DRF refuses.
            return JsonResponse(
                {"detail": "Finish signing in first: the code from your authenticator app has not been entered"},
                status=403,
            )
        target = "two_factor_challenge" if state == HAS_DEVICE else "two_factor_setup"
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")

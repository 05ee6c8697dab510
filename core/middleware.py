"""Request plumbing every page shares."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url
from django.utils.cache import patch_cache_control, patch_vary_headers

from core.exceptions import Gone
from core.views import TOO_MUCH_SENT, request_refused

NUL_MESSAGE = "The web address contains a character (NUL) that no page of this service takes"
TOO_MANY_PARAMETERS = (
    f"The web address has more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS:,} parameters: no page of this service "
    "takes so many"
)
# What Django raises on first reading a query string or form that holds more than it reads (DATA_UPLOAD_MAX_*).
UNREADABLE = (TooManyFieldsSent, TooManyFilesSent, RequestDataTooBig)


class RefuseUnreadableRequestsMiddleware:
    """A request no page could read is refused with a 400 before any view runs, in the service's words (JSON under
    /api/: `core.views.request_refused`):

    - a NUL byte in the path or the query string. No identifier, search or filter ever contains one, and
      PostgreSQL refuses it in any query ("A string literal cannot contain NUL"), so without this a `?q=%00`
      anywhere a view passes text to the database is a 500 (path parameters are also held to their shapes by the
      converters in core/converters.py);
    - more query parameters than Django reads, or a form with more fields, files or data than it reads
      (DATA_UPLOAD_MAX_*). Django raises these on the first read of request.GET or request.POST; read first here,
      they are answered here, rather than reaching Django's handling of a failed request, whose DEBUG page reads
      the query string again (a 500) and which answers outside the views' content negotiation.

    It sits after the middleware that adds the security headers (CSP, Permissions-Policy, X-Frame-Options), so
    its refusals carry them too.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.refusal(request) or self.get_response(request)

    def refusal(self, request: HttpRequest) -> HttpResponse | None:
        try:
            query = request.GET.lists()
        except UNREADABLE:
            return request_refused(request, reason=TOO_MANY_PARAMETERS, form_sent=False)
        if "\x00" in request.path_info or any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in query
        ):
            return request_refused(request, reason=NUL_MESSAGE, form_sent=False)
        if request.method == "POST":
            try:
                request.POST  # noqa: B018  (read now, as CSRF protection would before the view, to refuse it here)
            except UNREADABLE:
                return request_refused(request, reason=TOO_MUCH_SENT, form_sent=True)
        return None


class GonePagesMiddleware:
    """A view's `core.exceptions.Gone` is answered 410 with its own words (with DEBUG on too, where Django would
    show its technical 404 page)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, Gone):
            return render(request, "410.html", {"gone": exception}, status=410)
        return None


SIGNED_OUT_MESSAGE = "You were signed out, so what you sent has not been saved. Sign in, then send it again."


class SignedOutFormMiddleware:
    """A form sent by someone no longer signed in (they signed out in another tab, or their session ended) is
    sent to the sign-in page like any page; here the sign-in page also says that what they sent was not saved,
    instead of losing it without a word."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method == "POST" and response.status_code == 302 and not request.user.is_authenticated:
            location = urlsplit(response.headers.get("Location", ""))
            if location.path == resolve_url(settings.LOGIN_URL) and "next" in parse_qs(location.query):
                messages.warning(request, SIGNED_OUT_MESSAGE)
        return response


class PrivateResponsesMiddleware:
    """What a signed-in person (or an API token) is shown is theirs alone: no shared cache may keep it, and any
    cache must tell it apart by cookie and authorisation. Also sends the Permissions-Policy on every response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        if "HTTP_AUTHORIZATION" in request.META or (user is not None and user.is_authenticated):
            patch_cache_control(response, private=True, no_store=True)
            response.headers.pop("Expires", None)
        patch_vary_headers(response, ("Cookie", "Authorization"))
        return response


class MethodNotAllowedPagesMiddleware:
    """An address that only takes a form (a button's action), opened in the browser, was answered 405 with an
    empty page. It is answered 405 with a page saying what the address is for and where to go, keeping the Allow
    header; the API's JSON answers are left as they are."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 405 or response.content or request.path_info.startswith("/api/"):
            return response
        page = render(request, "405.html", status=405)
        if "Allow" in response.headers:
            page.headers["Allow"] = response.headers["Allow"]
        return page

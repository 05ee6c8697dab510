"""Pages that belong to no app (the home page, which sends each role to its start page; the accessibility
statement; the error pages), the one gate for programme-staff pages, and what every form page does with what was
sent."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import TypeVar

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import NoReverseMatch, reverse
from django.utils.datastructures import MultiValueDict
from django.views.decorators.http import require_http_methods, require_safe

from core.context_processors import service
from core.exceptions import Refused
from core.rules import STAFF_PAGES

T = TypeVar("T")

START_PAGES = (
    ("is_programme_staff", "pipeline:dashboard"),
    ("is_assessor", "assessments:list"),
)


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed-in programme staff only; anyone else signed in gets 404 (staff pages do not admit they exist)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not request.user.has_perm(STAFF_PAGES):
            raise Http404("Page not found")
        return view(request, *args, **kwargs)

    return wrapper


def one_of(items: Iterable[T], pk: int, missing: str) -> T:
    """The item with primary key `pk` among `items`, which the page has fetched already (so no query), or 404
    with `missing`: an address naming another bid's row shows nothing of it."""
    found = next((item for item in items if item.pk == pk), None)
    if found is None:
        raise Http404(missing)
    return found


def posted(request: HttpRequest) -> QueryDict | None:
    """The form data of a POST, even an empty one, or None for a GET. A form bound to an empty POST is checked and
    refused with its messages; `request.POST or None` would show it again as if nothing had been sent."""
    return request.POST if request.method == "POST" else None


def posted_files(request: HttpRequest) -> MultiValueDict | None:
    """The files of a POST (even none), or None for a GET."""
    return request.FILES if request.method == "POST" else None


# A page with a form: GET shows it, POST sends it, and HEAD (what uptime checks and link checkers send) is answered
# as GET is, without the body; anything else is 405. A form view tells sending from showing by
# `request.method == "POST"`, so a HEAD is only ever shown the form, never taken as sending it.
form_methods = require_http_methods(["GET", "HEAD", "POST"])


def form_page(request: HttpRequest, template: str, context: dict, *, refused: bool) -> HttpResponse:
    """A page with a form. When it shows what was refused and why, 400: a refusal is never mistaken for a page
    shown (by the browser's tests, a proxy or the logs)."""
    return render(request, template, context, status=400 if refused else 200)


def start_page_for(user) -> str:
    for attribute, url_name in START_PAGES:
        if getattr(user, attribute):
            try:
                return reverse(url_name)
            except NoReverseMatch:
                continue
    return reverse("bids:list")


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(start_page_for(request.user))
    return render(request, "core/home.html")


@require_safe
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "core/accessibility.html")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        # The API answers in JSON, as DRF answers its own 404s.
        return JsonResponse({"detail": "Not found: the API's addresses are described at /api/schema/"}, status=404)
    return render(request, "404.html", status=404)


# Why a request that cannot be read is refused (400), on the page and in the API's JSON.
TOO_MUCH_SENT = "What was sent was larger than any form of this service takes, so none of it has been saved"
ADDRESS_NOT_USED = "The web address contains characters that no page of this service uses"


def request_refused(request: HttpRequest, *, reason: str, form_sent: bool) -> HttpResponse:
    """The one answer (400) to a request that cannot be read: JSON under /api/, as DRF answers its own
    refusals; the GOV.UK 400 page everywhere else, saying why. Rendered without context processors, as the 500
    page is: the request may be too broken for them."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": reason}, status=400)
    context = {**service(request), "form_sent": form_sent, "reason": reason}
    return HttpResponse(loader.get_template("400.html").render(context), status=400)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """What Django could not read: a form with more fields or data than any page takes, or an address no page
    uses (core.middleware refuses most of these first, in the same words)."""
    form_sent = request.method == "POST"
    return request_refused(request, reason=TOO_MUCH_SENT if form_sent else ADDRESS_NOT_USED, form_sent=form_sent)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    reason = exception.reason if isinstance(exception, Refused) else ""
    return render(request, "403.html", {"reason": reason}, status=403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent from a page older than the person's sign-in (they signed in again, or out, in another tab), or
    with cookies blocked: said in words, with the way back, instead of Django's developer page."""
    return render(request, "403_csrf.html", {"cookies_blocked": "cookie not set" in reason.lower()}, status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors that might fail again: a plain render of a static template.
    return HttpResponse(loader.get_template("500.html").render({"service_name": settings.SERVICE_NAME}), status=500)

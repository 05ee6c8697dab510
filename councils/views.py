"""Sign-in pages: the password (Django's views, answering a refusal as every other page does), the two-factor
challenge, recovery codes, setting up an authenticator app, the account page, and the lock-out page after repeated
wrong passwords."""

from __future__ import annotations

import math
from datetime import timedelta
from urllib.parse import urlencode

import django_otp
import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from core.exceptions import ApplicationError
from core.formatting import govuk_time, plural
from core.forms import apply_problems
from core.views import form_methods, form_page, posted
from councils import services
from councils.forms import (
    GovukAuthenticationForm,
    GovukPasswordResetForm,
    GovukSetPasswordForm,
    RecoveryCodeForm,
    TwoFactorCodeForm,
)
from councils.signin import (
    HAS_DEVICE,
    NOT_USED,
    TWO_FACTOR_SESSION_KEY,
    client_ip,
    is_verified,
    lockout_ends_at,
    recovery_device,
    totp_device,
    two_factor_required,
)

# Recovery codes are shown once, on the page after they are made; they wait here in between.
CODES_TO_SHOW_SESSION_KEY = "two_factor_codes_to_show"


class _RefusedIs400:
    """Django's sign-in and password views answer a refused form with 200, and take PUT as a POST; here, as on
    every other page (`core.views.form_page`), a page that shows a refusal answers 400, and a form page takes GET,
    HEAD (as GET) and POST only (405 otherwise: `core.views.form_methods`)."""

    http_method_names = ["get", "head", "post"]

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        # Before Django's own dispatch: the password-reset link answers an unusable link itself, whatever the method.
        if request.method.lower() not in self.http_method_names:
            return self.http_method_not_allowed(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def form_invalid(self, form) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form), status=400)


class SignInView(_RefusedIs400, auth_views.LoginView):
    authentication_form = GovukAuthenticationForm
    redirect_authenticated_user = True


class PasswordResetView(_RefusedIs400, auth_views.PasswordResetView):
    form_class = GovukPasswordResetForm


class PasswordResetConfirmView(_RefusedIs400, auth_views.PasswordResetConfirmView):
    form_class = GovukSetPasswordForm

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        # The person proved they hold the account's email from here: the sign-in lock on the account (and on this
        # address, as the lock-out page suggested a reset) is lifted, and they are emailed that the password
        # changed.
        services.password_changed(user=form.user, ip_address=client_ip(self.request))
        return response


def _next(request: HttpRequest) -> str:
    """Where to go after the second step: a path of this service (anything else, a bare word or another site,
    goes to the start page; a bare word would be taken by `redirect` as a URL name and fail)."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted.startswith("/") and url_has_allowed_host_and_scheme(
        wanted, {request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse(settings.LOGIN_REDIRECT_URL)


def _passed(request: HttpRequest, device) -> None:
    django_otp.login(request, device)
    request.session[TWO_FACTOR_SESSION_KEY] = HAS_DEVICE


def _second_factor_page(request: HttpRequest, form, template: str, *, recovery: bool) -> HttpResponse:
    """Ask for a code (from the app, or a recovery code); a right one verifies this sign-in and goes on to `next`."""
    if request.method == "POST" and form.is_valid():
        try:
            device = services.two_factor_verify(user=request.user, code=form.cleaned_data["code"], recovery=recovery)
        except ApplicationError as error:
            apply_problems(form, error)
        else:
            _passed(request, device)
            if recovery:
                left = device.token_set.count()
                messages.warning(
                    request,
                    f"You used a recovery code. You have {plural(left, 'recovery code')} left: make new ones from "
                    "your account page if you are running out.",
                )
            return redirect(_next(request))
    return form_page(request, template, {"form": form, "next": _next(request)}, refused=bool(form.errors))


@never_cache
@login_required
@form_methods
def two_factor_challenge(request: HttpRequest) -> HttpResponse:
    if is_verified(request):
        return redirect(_next(request))
    if totp_device(request.user) is None:
        return redirect(f"{reverse('two_factor_setup')}?{urlencode({'next': _next(request)})}")
    form = TwoFactorCodeForm(posted(request))
    return _second_factor_page(request, form, "registration/two_factor_challenge.html", recovery=False)


@never_cache
@login_required
@form_methods
def two_factor_recovery(request: HttpRequest) -> HttpResponse:
    if is_verified(request):
        return redirect(_next(request))
    form = RecoveryCodeForm(posted(request))
    return _second_factor_page(request, form, "registration/two_factor_recovery.html", recovery=True)


@never_cache
@login_required
@form_methods
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Set up (or replace) the authenticator app: its secret as text and a QR code, then a code to confirm it."""
    user = request.user
    if totp_device(user) is not None and not is_verified(request):
        # Replacing an app needs the old one (or a recovery code) first.
        return redirect(f"{reverse('two_factor_challenge')}?next={reverse('two_factor_setup')}")
    device = services.two_factor_setup_start(user=user)
    form = TwoFactorCodeForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = services.two_factor_setup_confirm(user=user, code=form.cleaned_data["code"])
        except ApplicationError as error:
            apply_problems(form, error)
        else:
            _passed(request, device)
            request.session[CODES_TO_SHOW_SESSION_KEY] = codes
            request.session["two_factor_after_codes"] = _next(request)
            return redirect("two_factor_recovery_codes")
    secret = device.config_url.split("secret=", 1)[1].split("&", 1)[0]
    context = {
        "form": form,
        "secret_groups": [secret[index : index + 4] for index in range(0, len(secret), 4)],
        "required": two_factor_required(user),
        "next": _next(request),
    }
    return form_page(request, "registration/two_factor_setup.html", context, refused=bool(form.errors))


@never_cache
@login_required
@require_safe
def two_factor_qr(request: HttpRequest) -> HttpResponse:
    """The QR code of the app being set up (an SVG image, served from here so the CSP's img-src 'self' allows it)."""
    device = totp_device(request.user, confirmed=False)
    if device is None:
        return HttpResponse(status=404)
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    return HttpResponse(image.to_string(encoding="unicode"), content_type="image/svg+xml")


@never_cache
@login_required
@form_methods
def two_factor_recovery_codes(request: HttpRequest) -> HttpResponse:
    """The new recovery codes, shown once; or (POST, from the account page) make new ones."""
    if request.method == "POST":
        if not is_verified(request):
            return redirect("two_factor_challenge")
        request.session[CODES_TO_SHOW_SESSION_KEY] = services.recovery_codes_replace(user=request.user)
        request.session["two_factor_after_codes"] = reverse("account")
        return redirect("two_factor_recovery_codes")
    codes = request.session.pop(CODES_TO_SHOW_SESSION_KEY, None)
    after = request.session.pop("two_factor_after_codes", reverse("account"))
    return render(request, "registration/two_factor_recovery_codes.html", {"codes": codes, "after": after})


@never_cache
@login_required
@require_safe
def account(request: HttpRequest) -> HttpResponse:
    user = request.user
    device = totp_device(user)
    recovery = recovery_device(user)
    context = {
        "device": device,
        "recovery_left": recovery.token_set.count() if recovery else 0,
        "required": two_factor_required(user),
    }
    return render(request, "registration/account.html", context)


@never_cache
@login_required
@form_methods
def two_factor_turn_off(request: HttpRequest) -> HttpResponse:
    """Turning two-factor sign-in off asks for a code from the app first (a session left open is not enough), and
    the person is emailed that it happened."""
    if two_factor_required(request.user) or totp_device(request.user) is None:
        return redirect("account")
    form = TwoFactorCodeForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.two_factor_turn_off(user=request.user, code=form.cleaned_data["code"])
        except ApplicationError as error:
            apply_problems(form, error)
        else:
            request.session[TWO_FACTOR_SESSION_KEY] = NOT_USED
            messages.success(request, "Two-factor sign-in is off. You sign in with your password only.")
            return redirect("account")
    return form_page(request, "registration/two_factor_turn_off.html", {"form": form}, refused=bool(form.errors))


def locked_out(request: HttpRequest, original_response=None, credentials: dict | None = None) -> HttpResponse:
    """django-axes's lock-out response: a GOV.UK page saying when to try again (HTTP 429)."""
    ends_at = lockout_ends_at(request, credentials)
    # Rounded up to the minute, so "after 10:15" is never a moment too early.
    try_again_at = (ends_at + timedelta(seconds=59)).replace(second=0, microsecond=0)
    minutes = max(1, math.ceil((ends_at - timezone.now()).total_seconds() / 60))
    context = {
        "for_how_long": plural(minutes, "minute"),
        "try_again_at": govuk_time(try_again_at),
        "limit": settings.AXES_FAILURE_LIMIT,
    }
    return render(request, "registration/locked_out.html", context, status=429)

"""Notifications pages: each person's own messages and preference; the outbox for programme staff."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from core.exceptions import ApplicationError
from core.formatting import plural
from core.forms import accepted_filters, date_initial
from core.views import form_methods, form_page, staff_required
from notifications.choices import Channel, Status
from notifications.forms import OutboxFilterForm, PreferenceForm, RetryFailedForm
from notifications.models import Notification
from notifications.rendering import render_email, subject_of, text_as_html
from notifications.selectors import (
    failed_since,
    notification_get_for_user,
    notification_list_for_staff,
    notification_list_for_user,
    notification_unread_count,
    outbox_waiting,
)
from notifications.services import (
    notification_mark_read,
    notification_retry,
    notifications_mark_all_read,
    notifications_retry_failed,
    preference_for,
    preference_update,
)

PAGE_SIZE = 50
# The link a message is mainly about, in order of preference.
MAIN_LINKS = (
    "invitation_path",
    "answer_path",
    "assessment_path",
    "bid_path",
    "round_path",
    "start_path",
    "assessments_path",
)


def _asks_round_openings(user) -> bool:
    """Only council members are asked whether to hear of rounds opening (only councils bid)."""
    return not (user.is_programme_staff or user.is_assessor)


def _inbox(request: HttpRequest, form: PreferenceForm | None = None) -> HttpResponse:
    page = Paginator(notification_list_for_user(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(notification, subject_of(notification)) for notification in page.object_list]
    if form is None:
        preference = preference_for(user=request.user)
        form = PreferenceForm(
            initial={
                "reminder_emails": "yes" if preference.reminder_emails else "no",
                "round_opening_emails": "yes" if preference.round_opening_emails else "no",
            },
            ask_round_openings=_asks_round_openings(request.user),
        )
    context = {
        "page": page,
        "rows": rows,
        "unread_count": notification_unread_count(user=request.user),
        "form": form,
    }
    return form_page(request, "notifications/notification_list.html", context, refused=bool(form.errors))


@login_required
@require_safe
def notification_list(request: HttpRequest) -> HttpResponse:
    return _inbox(request)


@login_required
@require_safe
def notification_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notification = notification_get_for_user(user=request.user, pk=pk)
    if notification is None:
        raise Http404("No notification found")
    was_unread = notification.is_unread
    notification_mark_read(notification=notification, by=request.user)
    try:
        rendered = render_email(notification)
    except Exception:  # show what we can rather than fail the page
        rendered = None
    main_path = next(
        (notification.context[name] for name in MAIN_LINKS if str(notification.context.get(name, "")).startswith("/")),
        "",
    )
    return render(
        request,
        "notifications/notification_detail.html",
        {
            "notification": notification,
            "subject": rendered.subject if rendered else subject_of(notification),
            "body": text_as_html(rendered.text) if rendered else "",
            "main_path": main_path,
            "was_unread": was_unread,
        },
    )


@login_required
@require_POST
def notification_mark_all_read(request: HttpRequest) -> HttpResponse:
    count = notifications_mark_all_read(user=request.user)
    if count:
        messages.success(request, f"Marked {plural(count, 'notification')} as read")
    return redirect("notifications:list")


@login_required
@require_POST
def preference_update_view(request: HttpRequest) -> HttpResponse:
    form = PreferenceForm(request.POST, ask_round_openings=_asks_round_openings(request.user))
    if not form.is_valid():
        return _inbox(request, form=form)
    wanted = form.cleaned_data["reminder_emails"] == "yes"
    openings = form.cleaned_data.get("round_opening_emails") or ""
    preference_update(
        user=request.user, reminder_emails=wanted, round_opening_emails=openings == "yes" if openings else None
    )
    text = "We will email you reminders" if wanted else "We will not email you reminders (they still appear here)"
    if openings:
        text += ", and we will " + ("" if openings == "yes" else "not ") + "email you when a round opens"
    messages.success(request, text)
    return redirect("notifications:list")


@staff_required
@require_safe
def staff_list(request: HttpRequest) -> HttpResponse:
    form = OutboxFilterForm(request.GET or None)
    filters = accepted_filters(form)
    notifications = notification_list_for_staff(
        status=filters.get("status", ""), event=filters.get("event", ""), reference=filters.get("reference", "")
    )
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return form_page(
        request,
        "notifications/staff_list.html",
        {
            "form": form,
            "page": page,
            "waiting": outbox_waiting(),
            "query": query.urlencode(),
            "here": request.get_full_path(),
            "Status": Status,
            "Channel": Channel,
        },
        refused=bool(form.is_bound and form.errors),
    )


@staff_required
@require_POST
def staff_retry(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(Notification, pk=pk)
    try:
        notification_retry(notification=notification, by=request.user)
    except ApplicationError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            f"The email to {notification.recipient.email} is waiting to be sent again. It goes within a minute, or "
            "within a few minutes of the mail service or the queue coming back",
        )
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = reverse("notifications:staff_list")
    return redirect(back)


@staff_required
@form_methods
def staff_retry_failed(request: HttpRequest) -> HttpResponse:
    """Send again every message that failed since a moment (after a mail outage longer than the retry window):
    choose, confirm with the count, then retry."""
    if request.method != "POST":
        form = RetryFailedForm(initial=date_initial("since", timezone.localdate()))
        return render(request, "notifications/retry_failed.html", {"form": form})
    form = RetryFailedForm(request.POST)
    if not form.is_valid():
        return form_page(request, "notifications/retry_failed.html", {"form": form}, refused=True)
    since, failure = form.cleaned_data["since"], form.cleaned_data["failure"]
    if request.POST.get("confirm") != "yes":
        count = failed_since(since=since, failure=failure).count()
        return render(
            request,
            "notifications/retry_failed_confirm.html",
            {
                "form": form,
                "count": count,
                "since": since,
                "failure_label": dict(form.fields["failure"].choices)[failure],
            },
        )
    try:
        retried = notifications_retry_failed(since=since, failure=failure, by=request.user)
    except ApplicationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Sending {plural(retried, 'failed message')} again")
    return redirect("notifications:staff_list")

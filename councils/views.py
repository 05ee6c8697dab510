"""Home page (sends each role to its start page), sign-in pages and static pages."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

START_PAGES = (
    ("is_programme_staff", "pipeline:dashboard"),
    ("is_assessor", "assessments:list"),
)


def start_page_for(user) -> str:
    for attribute, url_name in START_PAGES:
        if getattr(user, attribute):
            try:
                return reverse(url_name)
            except NoReverseMatch:
                continue
    return reverse("bids:list")


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(start_page_for(request.user))
    return render(request, "councils/home.html")


def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "councils/accessibility.html")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors that might fail again: a plain render of a static template.
    from django.template import loader

    return HttpResponse(loader.get_template("500.html").render({"service_name": "Local Digital Fund"}), status=500)

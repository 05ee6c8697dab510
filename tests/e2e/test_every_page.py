"""Every page of the service, for every kind of person who may see it, in real Chromium: axe-core finds no
WCAG 2.2 AA violation, nothing scrolls the page sideways at 320 pixels wide, and no page breaks the
Content-Security-Policy.

The pages and who may open them come from the permission matrix (`tests/test_permission_matrix.py`: every named
route, each actor, their own and other people's objects), on its world of a returned draft with partners of every
status, assessments in every state, a project in delivery and so on. For each route and object, one person of
each kind allowed (a council member, an assessor, programme staff, anyone) opens it; answers that are not HTML
pages (CSV, PDF, JSON, images, redirects) are left out. The journeys (`test_*_journey.py`) check the pages'
error states and what they say; this checks that none is left out.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from projects.choices import VariationKind
from tests.e2e.browser import axe_violations
from tests.test_permission_matrix import (
    ACTORS,
    ANONYMOUS,
    ASSESSORS,
    COUNCILS,
    MATRIX,
    STAFF,
    build_world,
    first_allowed_posts,
    send,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# One person of each kind opens each page: what a page shows differs most between these.
KINDS = (COUNCILS, ASSESSORS, STAFF, frozenset({ANONYMOUS}))

# Pages that are different pages by their query: each is opened as well as the bare route.
VARIANTS = {"projects:variation_new": [f"?kind={kind}" for kind in VariationKind.values]}


def pages(world) -> list[tuple[str, str]]:
    """(actor, URL) for every route, object and kind of person allowed to GET it."""
    found = []
    for name, route in sorted(MATRIX.items()):
        if route.get is None or name.startswith("admin:"):
            continue
        for target, allowed in route.get.items():
            for kind in KINDS:
                actor = next((a for a in ACTORS if a in allowed and a in kind), None)
                if actor is not None:
                    path = reverse(name, kwargs=route.kwargs(world, actor, target) or None)
                    found.extend((actor, path + query) for query in ["", *VARIANTS.get(name, [])])
    return found


def signed_in_clients(world) -> dict[str, Client]:
    """A Django test client for each kind of person, signed in (past the second step too: tests/conftest.py)."""
    clients = {}
    for actor in ACTORS:
        clients[actor] = Client()
        if actor != ANONYMOUS:
            clients[actor].force_login(world.users[actor])
    return clients


REFLOW = """() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => {
  const problems = [];
  const page = document.documentElement;
  if (page.scrollWidth > window.innerWidth) {
    // The outermost elements reaching past the screen's edge: what to fix.
    const all = [...document.body.querySelectorAll("*")];
    const past = all.filter((e) => e.getBoundingClientRect().right > innerWidth + 1);
    const outer = past.filter((e) => !past.includes(e.parentElement)).map((e) => `${e.tagName}.${e.className}`);
    problems.push(`the page is ${page.scrollWidth}px wide: ${outer.slice(0, 4).join(", ")}`);
  }
  for (const box of document.querySelectorAll(".app-table-wrap")) {
    const scrolls = box.scrollWidth > box.clientWidth + 1;
    const named = box.getAttribute("aria-label") || document.getElementById(box.getAttribute("aria-labelledby"));
    if (scrolls && (box.tabIndex !== 0 || box.getAttribute("role") !== "region" || !named)) {
      problems.push("a table that scrolls is not a named region the keyboard can reach");
    }
  }
  done(problems);
})))"""


def reflow_problems(page) -> list[str]:
    """At 320 CSS pixels wide (WCAG 1.4.10, a 1280px screen zoomed to 400%), nothing scrolls the page sideways:
    a wide table scrolls in its own box, which the keyboard can reach."""
    size = page.viewport_size
    page.set_viewport_size({"width": 320, "height": 640})
    try:
        return page.evaluate(REFLOW)
    finally:
        page.set_viewport_size(size)


def test_every_page_passes_axe_for_everyone_who_may_see_it(browser, live_server, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    world = build_world()
    clients, contexts = signed_in_clients(world), {}
    csp_errors: list[str] = []
    failures: list[str] = []
    checked = 0
    try:
        for actor, url in pages(world):
            response = clients[actor].get(url)
            if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
                continue  # a file, the API, or a redirect: no page to check
            if actor not in contexts:
                context = browser.new_context(base_url=live_server.url)
                context.set_default_timeout(15_000)
                if actor != ANONYMOUS:
                    session = clients[actor].cookies["sessionid"]
                    context.add_cookies([{"name": "sessionid", "value": session.value, "url": live_server.url}])
                page = context.new_page()
                page.on(
                    "console",
                    lambda message: (
                        message.type == "error"
                        and "Content Security Policy" in message.text
                        and csp_errors.append(message.text)
                    ),
                )
                contexts[actor] = page
            page = contexts[actor]
            page.goto(url)
            if urlsplit(page.url)[2:4] != urlsplit(url)[2:4]:  # the path and the query
                failures.append(f"{url} as {actor}: the browser was sent to {page.url}")
                continue
            if "Sorry, there is a problem with the service" in page.content():
                failures.append(f"{url} as {actor}: the error page")
                continue
            violations = axe_violations(page)
            if violations:
                failures.append(f"{url} as {actor}: {violations}")
            failures.extend(f"{url} as {actor}: {problem}" for problem in reflow_problems(page))
            checked += 1
    finally:
        for page in contexts.values():
            page.context.close()
    assert checked > 100, f"only {checked} pages were checked: has the permission matrix lost its pages?"
    assert not failures, "\n".join(failures)
    assert not csp_errors, csp_errors


def test_every_form_sent_empty_explains_itself_and_passes_axe(browser, live_server, settings, tmp_path):
    """Each form sent with nothing filled in: the page that answers (its error summary and inline errors, or the
    question asked again) has no axe violation, and a refusal always says why. Sent through Django's client in a
    transaction that is rolled back, so no form changes anything for the next; the answer is then shown in
    Chromium at the live server's address."""
    settings.MEDIA_ROOT = tmp_path
    world = build_world()
    clients = signed_in_clients(world)
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/accessibility/")
    failures: list[str] = []
    explained = 0
    try:
        for _name, actor, url, _route in first_allowed_posts(world):
            response = send(clients[actor], "POST", url, {})
            if response.status_code >= 500:
                failures.append(f"POST {url} as {actor}: HTTP {response.status_code}")
                continue
            if response.status_code not in (200, 400) or not response["Content-Type"].startswith("text/html"):
                continue  # done at once (a redirect) or a file: no page to check
            html = response.content.decode()
            if response.status_code == 400 and "govuk-error-summary" not in html and "govuk-error-message" not in html:
                failures.append(f"POST {url} as {actor}: refused with no error message on the page")
            title = re.search(r"<title>(.*?)</title>", html, re.S)[1]
            if (response.status_code == 400 and not title.startswith("Error: ")) or title.count("Error:") > 1:
                failures.append(f"POST {url} as {actor}: the title says the error wrongly: {title!r}")
            page.set_content(html)  # shown at the live server's address, so its styles and scripts load
            violations = axe_violations(page)
            if violations:
                failures.append(f"POST {url} as {actor}: {violations}")
            explained += 1
    finally:
        context.close()
    assert explained > 50, f"only {explained} answers were checked: has the permission matrix lost its forms?"
    assert not failures, "\n".join(failures)


def test_every_page_a_person_may_open_has_a_title_of_its_own(settings, tmp_path):
    """A page's title is the first thing a screen reader says and what a browser's tabs and history show: no two
    pages one person can open share one (WCAG 2.4.2). Two bids, two projects, a list's second page, the council's
    and the programme team's view of one project: each says which it is."""
    from collections import defaultdict

    settings.MEDIA_ROOT = tmp_path
    world = build_world()
    clients = signed_in_clients(world)
    titled: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for actor, url in pages(world):
        response = clients[actor].get(url)
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        title = " ".join(re.search(r"<title>(.*?)</title>", response.content.decode(), re.S)[1].split())
        titled[actor][title].add(urlsplit(url).path)
    shared = [
        f"{actor}: {title!r} on {sorted(paths)}"
        for actor, titles in titled.items()
        for title, paths in titles.items()
        if len(paths) > 1
    ]
    assert sum(len(titles) for titles in titled.values()) > 100
    assert not shared, "\n".join(shared)

"""What the browser tests do in a page: sign in through the real pages, fill a GOV.UK date, and check a page
with axe-core (and that it is no server error). The fixtures that make the browser and its pages are in
conftest.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def sign_in(page, email: str, password: str = "correct-horse-battery") -> None:
    """Sign in through the real pages: the password, then (for people with an authenticator app, which is made
    here for those who must have one) the code the app would show now."""
    from councils.models import User
    from councils.signin import two_factor_required
    from tests.factories.two_factor import make_totp_device, totp_code

    user = User.objects.get(email=email)
    if two_factor_required(user):
        make_totp_device(user)
    page.goto("/sign-in/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    if "/sign-in/two-factor/" in page.url:
        device = user.totpdevice_set.get(confirmed=True)
        page.get_by_label("Code from your authenticator app").fill(totp_code(device))
        with page.expect_navigation():
            page.get_by_role("button", name="Continue").click()


# What Playwright says when a script or read meets a page between two documents: a click that submits a form
# returns once the new page has begun to load, so a check straight after it can land before that page exists.
NAVIGATING = (
    "Execution context was destroyed",
    "because of a navigation",
    "reading 'documentElement'",
    "page is navigating",
)


def settled(page, read):
    """`read(page)` once the page has loaded; if a navigation cuts it short, wait for the new page and read again."""
    for attempt in range(5):
        page.wait_for_load_state()
        try:
            return read(page)
        except PlaywrightError as error:
            if attempt == 4 or not any(sign in str(error) for sign in NAVIGATING):
                raise
    raise AssertionError("unreachable")


def axe_violations(page) -> list[dict]:
    """Run axe-core in the page at WCAG 2.2 AA; return its violations (id, impact, help, targets)."""
    if not AXE_JS.exists():
        pytest.fail("axe-core is missing: run npm ci")

    def run(page):
        # Evaluated through the DevTools protocol rather than added as a <script>: the page's CSP allows no inline
        # script, and must not be loosened for a test.
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))
        return page.evaluate(
            "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
        )

    result = settled(page, run)
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "targets": [node["target"] for node in v["nodes"]][:5],
        }
        for v in result["violations"]
    ]


def assert_accessible(page) -> None:
    violations = axe_violations(page)
    assert violations == [], f"axe-core found violations on {page.url}: {violations}"


def check(page) -> None:
    """The page is no server error and axe-core finds no violations on it."""
    assert "Sorry, there is a problem with the service" not in settled(page, lambda page: page.content())
    assert_accessible(page)


def fill_date(page, name: str, when, *, time: bool = False) -> None:
    """Type a date (and, with `time`, its UK time) into the GOV.UK date input of the form's date `name`."""
    if time:
        from django.utils import timezone

        when = timezone.localtime(when)
    parts = {"day": when.day, "month": when.month, "year": when.year}
    if time:
        parts["time"] = f"{when:%H:%M}"
    for part, value in parts.items():
        page.locator(f"#id_{name}_{part}").fill(str(value))

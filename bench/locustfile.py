"""The closing-day rush's users, for Locust (started by bench/rush.py, which seeds the accounts they use).

Council users sign in with a password, save sections of their draft bid, upload a document and submit, then
sign out and take the next council's draft. Programme staff sign in with a TOTP code and browse the dashboard
and the bid table. Assessors sign in with a TOTP code, declare no conflict where asked, save and submit scores.
Every form is fetched first and posted back with what the page holds (its CSRF token, the edit version), as a
browser does; redirects are followed by hand so each request is timed under its own name. Any response but
the expected one is a failure.

RUSH_ACCOUNTS names the JSON file of accounts (written by bench/rush.py's seeding).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
import random
import re
import struct
import time
from html import unescape
from html.parser import HTMLParser

from locust import HttpUser, between, task
from locust.exception import StopUser

ACCOUNTS = json.loads(open(os.environ["RUSH_ACCOUNTS"]).read())  # noqa: SIM115
COUNCILS = iter(ACCOUNTS["councils"])
STAFF = iter(ACCOUNTS["staff"])
ASSESSORS = iter(ACCOUNTS["assessors"])
PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
    b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)
EDITS = itertools.count(1)
RECOMMENDATION = {5: "fund", 4: "fund_with_conditions", 3: "fund_with_conditions", 2: "do_not_fund", 1: "do_not_fund"}


def totp(email: str, at: float | None = None) -> str:
    """RFC 6238 with django-otp's defaults (SHA-1, 30 s, 6 digits), from the secret bench/rush.py gave the
    account (the same derivation)."""
    key = bytes.fromhex(hashlib.sha1(f"ldf-rush-totp:{email}".encode()).hexdigest())
    counter = int((at if at is not None else time.time()) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


class Forms(HTMLParser):
    """The forms of a page: each one's action, method and fields with the values the page gives them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._textarea: str | None = None
        self._select: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "form":
            self.forms.append(
                {"action": a.get("action") or "", "method": (a.get("method") or "get").lower(), "fields": {}}
            )
            return
        if not self.forms:
            return
        fields = self.forms[-1]["fields"]
        if tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("radio", "checkbox"):
                if "checked" in a:
                    fields[a["name"]] = a.get("value", "on")
                else:
                    fields.setdefault(a["name"], None)
            elif kind not in ("submit", "button", "file"):
                fields[a["name"]] = a.get("value", "")
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            fields[a["name"]] = ""
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            fields.setdefault(a["name"], "")
        elif tag == "option" and self._select and "selected" in a:
            fields[self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea and self.forms:
            self.forms[-1]["fields"][self._textarea] += data

    def post_form(self, containing: str = "csrfmiddlewaretoken") -> dict:
        for form in self.forms:
            # The navigation's sign-out form comes first on every signed-in page.
            if form["action"].endswith("/sign-out/"):
                continue
            if form["method"] == "post" and containing in form["fields"]:
                return {k: v for k, v in form["fields"].items() if v is not None}
        raise LookupError(f"no form with {containing}")


def problems(html: str) -> str:
    """The GOV.UK error summary's messages, for a failure's description."""
    found = re.findall(r'<a href="#[^"]*">([^<]+)</a>', html.split("govuk-error-summary", 1)[-1])[:3]
    return "; ".join(unescape(message) for message in found) or html[:200]


class RushUser(HttpUser):
    abstract = True
    wait_time = between(1, 3)

    def get(self, path: str, name: str, expect: int = 200) -> str:
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as response:
            if response.status_code != expect:
                response.failure(f"{response.status_code} (expected {expect}) for {path}")
            return response.text

    def post(self, path: str, data: dict, name: str, expect: int = 302, files: dict | None = None) -> str:
        """POST a form; on the expected redirect return where it goes."""
        with self.client.post(
            path,
            data=data,
            files=files,
            name=name,
            allow_redirects=False,
            catch_response=True,
            headers={"Referer": self.host + path},
        ) as response:
            if response.status_code != expect:
                response.failure(f"{response.status_code} (expected {expect}) for {path}: {problems(response.text)}")
                return ""
            return response.headers.get("Location", "")

    def sign_in(self, email: str, *, two_factor: bool) -> bool:
        self.client.cookies.clear()
        page = self.get("/sign-in/", "sign in [GET]")
        form = Forms(page).post_form("username")
        form.update(username=email, password=ACCOUNTS["password"])
        location = self.post("/sign-in/", form, "sign in [POST]")
        if not location:
            return False
        if two_factor:
            # The next page asks for the second step (the two-factor middleware redirects every page to it).
            with self.client.get(location, name="home [GET]", allow_redirects=False, catch_response=True) as response:
                challenge = response.headers.get("Location", "")
                if response.status_code != 302 or "two-factor" not in challenge:
                    response.failure(f"{response.status_code} to {challenge!r}, not the two-factor challenge")
                    return False
            page = self.get(challenge, "two-factor code [GET]")
            form = Forms(page).post_form("code")
            form["code"] = totp(email)
            location = self.post(challenge, form, "two-factor code [POST]")
        return bool(location)

    def sign_out(self) -> None:
        # The navigation's sign-out button: its form's token is the CSRF cookie's secret, masked (Django accepts
        # the secret itself too).
        self.post("/sign-out/", {"csrfmiddlewaretoken": self.client.cookies.get("csrftoken", "")}, "sign out [POST]")


class CouncilUser(RushUser):
    """A council officer finishing their bid in the last minutes: edits, a document, submits."""

    weight = 35

    def on_start(self) -> None:
        self.next_account()

    def next_account(self) -> None:
        account = next(COUNCILS, None)
        if account is None:
            raise StopUser  # every seeded draft has been taken
        self.email = account["email"]
        self.reference = account["bid"]
        self.step = 0
        if not self.sign_in(self.email, two_factor=False):
            raise StopUser
        self.get("/bids/", "your bids [GET]")

    @task
    def work_on_the_bid(self) -> None:
        bid = f"/bids/{self.reference}/"
        self.step += 1
        if self.step == 1:
            self.get(bid, "task list [GET]")
        elif self.step <= 4:
            section = random.choice(["about", "problem", "approach", "timeline"])
            self.save_section(bid, section)
        elif self.step == 5:
            page = self.get(f"{bid}documents/", "documents [GET]")
            form = Forms(page).post_form()
            location = self.post(
                f"{bid}documents/",
                form,
                "documents upload [POST]",
                files={"file": ("business-case.pdf", PDF, "application/pdf")},
            )
            if location:
                self.get(location, "documents [GET]")
        elif self.step == 6:
            page = self.get(f"{bid}check/", "check answers [GET]")
            form = Forms(page).post_form()
            form["declaration"] = "on"
            location = self.post(f"{bid}check/", form, "check answers submit [POST]")
            if location:
                self.get(location, "submitted [GET]")
        else:
            self.sign_out()
            self.next_account()

    def save_section(self, bid: str, section: str) -> None:
        page = self.get(f"{bid}{section}/", "section [GET]")
        form = Forms(page).post_form()
        edit = next(EDITS)
        if section == "about":
            form["title"] = f"{form['title'].split(' (rev')[0]} (rev {edit})"
        elif section == "problem":
            form["problem"] = f"{form['problem'].strip()[:2000]} Revised {edit}."
        elif section == "approach":
            form["working_in_the_open"] = f"Weeknotes every Friday and open show-and-tells (revision {edit})."
        else:
            form["lead_contact_name"] = f"Lead Contact {edit}"
        location = self.post(f"{bid}{section}/", form, "section save [POST]")
        if location:
            self.get(location, "task list [GET]")


class StaffUser(RushUser):
    """Programme staff watching the bids arrive: the dashboard and the bid table, filtered, searched, paged."""

    weight = 10

    def on_start(self) -> None:
        email = next(STAFF, None)
        if email is None or not self.sign_in(email, two_factor=True):
            raise StopUser
        self.references: list[str] = []

    @task(3)
    def dashboard(self) -> None:
        self.get("/pipeline/", "dashboard [GET]")

    @task(3)
    def bid_table(self) -> None:
        page = self.get("/pipeline/bids/", "bid table [GET]")
        self.references = re.findall(r'href="/pipeline/bids/(LDF-[^/"]+)/"', page)[:20] or self.references

    @task(2)
    def bid_table_filtered(self) -> None:
        self.get(f"/pipeline/bids/?round={ACCOUNTS['round']}&state=in_review", "bid table filtered [GET]")

    @task(1)
    def bid_table_search(self) -> None:
        term = random.choice(["housing", "parking", "library", "licensing"])
        self.get(f"/pipeline/bids/?q={term}", "bid table search [GET]")

    @task(1)
    def bid_table_page(self) -> None:
        self.get(f"/pipeline/bids/?page={random.randint(2, 20)}", "bid table page n [GET]")

    @task(2)
    def bid_detail(self) -> None:
        if self.references:
            reference = random.choice(self.references)
            self.get(f"/pipeline/bids/{reference}/", "staff bid detail [GET]")


class AssessorUser(RushUser):
    """An assessor working through their assigned bids: declare, save a draft, submit."""

    weight = 5

    def on_start(self) -> None:
        self.next_account()

    def next_account(self) -> None:
        account = next(ASSESSORS, None)
        if account is None:
            raise StopUser
        self.email = account["email"]
        self.queue = list(account["assessments"])
        if not self.sign_in(self.email, two_factor=True):
            raise StopUser

    @task
    def score_next(self) -> None:
        if not self.queue:
            self.sign_out()
            self.next_account()
            return
        pk = self.queue.pop(0)
        self.get("/assessments/", "assessments list [GET]")
        with self.client.get(
            f"/assessments/{pk}/", name="assessment [GET]", allow_redirects=False, catch_response=True
        ) as response:
            location = response.headers.get("Location", "")
            if response.status_code not in (200, 302):
                response.failure(f"{response.status_code} for assessment {pk}")
                return
        if location.endswith("/declare/"):
            page = self.get(location, "declare [GET]")
            form = Forms(page).post_form()
            form.update(conflict="no", details="")
            location = self.post(location, form, "declare [POST]")
        if not location.endswith("/score/"):
            return  # already submitted, or a conflict (not in this bench's data)
        page = self.get(location, "score [GET]")
        if "score_" not in page:
            return  # the bid was decided or withdrawn meanwhile
        form = Forms(page).post_form()
        scores = {}
        for name in sorted(set(re.findall(r'name="(score_\d+)"', page))):
            if name.startswith("score_"):
                score = random.randint(2, 5)
                scores[name] = score
                form[name] = str(score)
                form[f"justification_{name[6:]}"] = (
                    "The bid gives clear evidence of user research in every partner council and a credible plan."
                )
        form["recommendation"] = RECOMMENDATION[round(sum(scores.values()) / max(len(scores), 1))]
        form["comments"] = "A well-made case from committed partners."
        self.post(location, form, "score save draft [POST]")
        page = self.get(location, "score [GET]")
        form = Forms(page).post_form()
        form["submit"] = "submit"
        location = self.post(location, form, "score submit [POST]")
        if location:
            self.get(location, "assessment [GET]")

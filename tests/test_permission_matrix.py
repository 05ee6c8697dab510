"""Our own permission matrix: every named route × every kind of person × their own and other people's objects.

Each route is requested by each actor below, for GET and for the POST that changes state, and the answer must be
"allowed" or "refused" exactly as the table says. Refused means 404 (pages never admit what exists), 401/403 (the
API) or a redirect to sign in; allowed is anything else (a page, a redirect, or a 400 saying which rule of the
service was not met: the person got through the door). Every request runs in a savepoint that is rolled back,
so one world serves every request and a POST by an allowed person changes nothing for the next.

The actors (`ACTORS`), relative to the bid "own" (a draft returned for changes, with a partner of every status
and assessments in every state) and the bid "other" (another council's bid in review, assessed by someone
else): anonymous; a lead member; a partner member (confirmed); a member of a council invited and not yet
answering; of a council that declined; of an unrelated council; an assessor assigned who declared no conflict;
an assessor with nothing to do with either bid; an assessor who declared a conflict; an assessor assigned who has
not declared yet; programme staff; the administrator (a Django superuser whose role is Role.ADMIN).

HOW TO ADD A ROUTE (a new route without an entry fails `test_every_named_route_has_an_entry`):
add one entry to `MATRIX`, keyed by the route's name ("app:name"), for example

    "bids:print": Route(
        kwargs=bid_kwargs,                           # how to fill the URL for (world, actor, target)
        get=per_target(own=BID_READERS, other=STAFF),  # who may GET it for the own bid and for the other bid
        post=None,                                   # or per_target(...)/same(...) with `data` to POST
    ),

Routes without an object use `same(...)` (one target). The actor groups (`STAFF`, `COUNCILS`, `ASSESSORS`,
`SIGNED_IN`, `EVERYONE`, `BID_READERS`, …) are sets: combine them with `|`. `World` holds the objects; add one
there if the route needs it. Django admin's own pages are left to Django (only its index is checked here).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings
from django.urls import get_resolver, reverse
from django.urls.resolvers import URLPattern, URLResolver
from django.utils import timezone

from assessments import services as assessment_services
from bids import services as bid_services
from bids.models import Bid
from collaboration import services as collaboration_services
from councils.choices import Role
from councils.models import User
from notifications.choices import Event, Status
from notifications.models import Notification
from notifications.services import notify
from projects import services as project_services
from projects.models import Project
from tests.factories import award, make_bid, make_council, make_round, make_user, publish_decisions, start_assessing
from tests.factories.assessments import assign, make_assessor, make_in_review_bid, make_scored_bid
from tests.factories.two_factor import verify_session

# Also makes pytest-django set up the test database when this file runs alone.
pytestmark = pytest.mark.django_db

# --- The actors and their groups --------------------------------------------------------------------------

ANONYMOUS = "anonymous"
LEAD = "lead member"
PARTNER = "partner member"
INVITED = "invited council"
DECLINED = "declined council"
UNRELATED = "unrelated council"
ASSESSOR = "assigned assessor"
UNASSIGNED = "unassigned assessor"
CONFLICTED = "conflicted assessor"
UNDECLARED = "undeclared assessor"
PROGRAMME_STAFF = "programme staff"
ADMINISTRATOR = "administrator"

ACTORS = (
    ANONYMOUS,
    LEAD,
    PARTNER,
    INVITED,
    DECLINED,
    UNRELATED,
    ASSESSOR,
    UNASSIGNED,
    CONFLICTED,
    UNDECLARED,
    PROGRAMME_STAFF,
    ADMINISTRATOR,
)
NOBODY: frozenset[str] = frozenset()
EVERYONE = frozenset(ACTORS)
SIGNED_IN = EVERYONE - {ANONYMOUS}
STAFF = frozenset({PROGRAMME_STAFF, ADMINISTRATOR})
COUNCILS = frozenset({LEAD, PARTNER, INVITED, DECLINED, UNRELATED})
ASSESSORS = frozenset({ASSESSOR, UNASSIGNED, CONFLICTED, UNDECLARED})
# Assessors belong to a council too (that is how their conflicts are known).
WITH_A_COUNCIL = COUNCILS | ASSESSORS
# Who may open the own bid's page: its councils (an invited one sees what it is asked to join), its assessor
# once declared, staff.
BID_READERS = frozenset({LEAD, PARTNER, INVITED, ASSESSOR}) | STAFF
# Who may read the own bid's documents: not a council only invited.
DOCUMENT_READERS = BID_READERS - {INVITED}
# Who holds an assessment of the own bid (their own object on the assessment pages).
ASSESSMENT_HOLDERS = frozenset({ASSESSOR, CONFLICTED, UNDECLARED})

ONE = "-"  # the single target of a route without an object of its own


def same(actors: frozenset[str]) -> dict[str, frozenset[str]]:
    """A route about no particular object: who may use it."""
    return {ONE: actors}


def per_target(*, own: frozenset[str], other: frozenset[str]) -> dict[str, frozenset[str]]:
    """A route about an object: who may use it for the own bid (or their own assessment, notification…) and for
    the other one."""
    return {"own": own, "other": other}


# --- The world ------------------------------------------------------------------------------------------


@dataclass
class World:
    users: dict[str, User]
    bids: dict[str, Bid]  # "own", "other"
    partner_ids: dict[str, int]
    line_ids: dict[str, int]
    document_ids: dict[str, int]
    assessment_ids: dict[str, int]  # actor or "own"/"other" → assessment id
    notification_ids: dict[str, int]  # actor or "other" → notification id
    failed_notification_id: int
    request_id: int
    round_pk: int
    round_code: str
    criterion_pk: int
    clarification_ids: dict[str, int]  # "own"/"other" → an answered question with a file
    proposal_ids: dict[str, int]  # "own"/"other" → a question an assessor proposed
    projects: dict[str, dict]  # "own"/"other" → reference and ids of a project in delivery (own: LEAD leads it)
    clients: dict[str, Client] = field(default_factory=dict)

    def reference(self, target: str) -> str:
        return self.bids["other" if target == "other" else "own"].reference


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def build_world() -> World:
    funding_round = make_round(code="PM", min_partner_councils=1, assessors_per_bid=2)
    lead_c, partner_c, invited_c, declined_c, unrelated_c = (make_council() for _ in range(5))
    users = {
        LEAD: make_user(councils=[lead_c], name="Lee Lead"),
        PARTNER: make_user(councils=[partner_c], name="Pat Partner"),
        INVITED: make_user(councils=[invited_c], name="Ivy Invited"),
        DECLINED: make_user(councils=[declined_c], name="Dee Declined"),
        UNRELATED: make_user(councils=[unrelated_c], name="Una Unrelated"),
        ASSESSOR: make_assessor(name="Ada Assessor"),
        UNASSIGNED: make_assessor(name="Una Assigned"),
        CONFLICTED: make_assessor(name="Con Flicted"),
        UNDECLARED: make_assessor(name="Udo Undeclared"),
        PROGRAMME_STAFF: make_user(role=Role.PROGRAMME_STAFF, name="Stan Staff"),
        ADMINISTRATOR: User.objects.create_superuser(email="root@example.test", password="x", full_name="Ad Min"),
    }
    staff = users[PROGRAMME_STAFF]

    # The own bid: submitted with a confirmed and a declined partner and a document; the other bid: another
    # council's, submitted. The round closes, both are sifted and assessment starts.
    own = make_bid(funding_round=funding_round, lead=lead_c, partners=[partner_c], by=users[LEAD])
    declined = bid_services.partner_invite(bid=own, council=declined_c, by=users[LEAD])
    bid_services.partner_respond(partner=declined, by=users[DECLINED], confirm=False)
    own_document = bid_services.document_upload(
        bid=own, by=users[LEAD], upload=SimpleUploadedFile("own.pdf", PDF, content_type="application/pdf")
    )
    own = bid_services.bid_submit(bid=own, by=users[LEAD])
    other_lead = make_user(councils=[make_council()], name="Oli Other")
    other = make_bid(
        funding_round=funding_round, lead=other_lead.councils.get(), partners=[make_council()], by=other_lead
    )
    other_document = bid_services.document_upload(
        bid=other, by=other_lead, upload=SimpleUploadedFile("other.pdf", PDF, content_type="application/pdf")
    )
    other = bid_services.bid_submit(bid=other, by=other_lead)
    start_assessing(funding_round, by=staff)

    # The own bid is assessed (an assessor in each state), asked a question its lead answers with a file, an
    # assessor proposes another; then it is returned for changes, and another council invited since.
    (conflicted,) = assign(own, [users[CONFLICTED]], by=staff)
    assessment_services.assessment_declare(assessment=conflicted, by=users[CONFLICTED], conflict=True, details="Mine")
    declared, undeclared = assign(own, [users[ASSESSOR], users[UNDECLARED]], by=staff)
    assessment_services.assessment_declare(assessment=declared, by=users[ASSESSOR], conflict=False)
    clarifications, proposals = {}, {}
    for target, bid, lead_user, assessor in (
        ("own", own, users[LEAD], users[ASSESSOR]),
        ("other", other, other_lead, None),
    ):
        if assessor is None:
            assessor = make_assessor(name="Otto Assessor")
            (other_assessment,) = assign(bid, [assessor], by=staff)
            assessment_services.assessment_declare(assessment=other_assessment, by=assessor, conflict=False)
        bid = Bid.objects.get(pk=bid.pk)
        question = bid_services.clarification_ask(
            bid=bid, by=staff, question="Who runs it?", reply_by=timezone.localdate() + timedelta(days=3)
        )
        question.bid = bid
        bid_services.clarification_answer(
            clarification=question,
            by=lead_user,
            answer="We do.",
            upload=SimpleUploadedFile("answer.pdf", PDF, content_type="application/pdf"),
        )
        clarifications[target] = question.pk
        proposals[target] = bid_services.clarification_propose(bid=bid, by=assessor, question="And then?").pk
    bid_services.bid_return_for_changes(bid=own, by=staff, message="Add another partner.")
    bid_services.partner_invite(bid=own, council=invited_c, by=users[LEAD])
    # The own draft looks for partners, and the unrelated council has asked to join.
    call = collaboration_services.partner_call_save(
        bid=own,
        by=users[LEAD],
        title="Matrix call",
        problem="A shared problem.",
        partners_do="Test with residents.",
        join_by=timezone.localdate() + timedelta(days=5),
    )
    join_request = collaboration_services.join_request_create(
        call=call, council=unrelated_c, by=users[UNRELATED], message="We would like to join."
    )

    # An awarded bid in a round whose decisions are published, so the public funded pages and open data have
    # something to publish.
    # The own council leads one of them (with the partner council): its project is the own project.
    published_round = make_round(code="PX", min_partner_councils=1, assessors_per_bid=2)
    awarded = make_in_review_bid(funding_round=published_round)
    own_awarded = make_in_review_bid(funding_round=published_round, lead=lead_c, partners=[partner_c])
    scored = [make_scored_bid(funding_round=published_round, bid=bid) for bid in (awarded, own_awarded)]
    for bid in scored:
        award(bid, amount=Decimal("50000"), by=staff)
    publish_decisions(published_round, by=staff)
    projects = {
        "own": _project_in_delivery(own_awarded, lead=users[LEAD], staff=staff),
        "other": _project_in_delivery(awarded, lead=awarded.lead_council.members.first(), staff=staff),
    }

    context = {"reference": own.reference, "title": "A bid", "bid_path": f"/bids/{own.reference}/"}
    notification_ids = {
        actor: notify(event=Event.BID_SUBMITTED, recipients=[user], context=context, key=f"matrix:{actor}")[0]
        for actor, user in users.items()
    }
    notification_ids["other"] = notify(
        event=Event.BID_SUBMITTED, recipients=[other_lead], context=context, key="matrix:other"
    )[0]
    Notification.objects.filter(pk=notification_ids["other"]).update(status=Status.FAILED)

    return World(
        users=users,
        bids={"own": own, "other": other},
        partner_ids={"own": declined.pk, "other": other.partners.get().pk},
        line_ids={"own": own.cost_lines.first().pk, "other": other.cost_lines.first().pk},
        document_ids={"own": own_document.pk, "other": other_document.pk},
        assessment_ids={
            ASSESSOR: declared.pk,
            UNDECLARED: undeclared.pk,
            CONFLICTED: conflicted.pk,
            "own": declared.pk,
            "other": other_assessment.pk,
        },
        notification_ids=notification_ids,
        failed_notification_id=notification_ids["other"],
        request_id=join_request.pk,
        round_pk=funding_round.pk,
        round_code=published_round.code,
        criterion_pk=funding_round.criteria.first().pk,
        clarification_ids=clarifications,
        proposal_ids=proposals,
        projects=projects,
    )


def _project_in_delivery(bid: Bid, *, lead: User, staff: User) -> dict:
    """The bid's project in delivery: the offer accepted with the signed agreement, the lead member certifying
    its reports, a milestone with evidence (and a file), a draft report, a change asked for and an output."""
    project = Project.objects.get(bid=bid)
    upload = SimpleUploadedFile("signed.pdf", PDF, content_type="application/pdf")
    project = project_services.offer_accept(project=project, by=lead, conditions_confirmed=True, upload=upload)
    project_services.certifier_appoint(project=project, by=lead, user=lead)
    milestone = project_services.milestone_add(
        project=project, by=staff, title="Matrix", due_date=timezone.localdate() + timedelta(days=20), amount="100"
    )
    milestone.project = project
    project_services.milestone_submit_evidence(
        milestone=milestone,
        by=lead,
        evidence="Done",
        upload=SimpleUploadedFile("evidence.pdf", PDF, content_type="application/pdf"),
    )
    variation = project_services.variation_request(
        project=project, by=lead, kind="scope", reasons="Matrix", changes={"scope": "Smaller"}
    )
    output = project_services.output_add(
        project=project, by=lead, title="Code", url="https://example.org/code", kind="code"
    )
    return {
        "reference": project.reference,
        "milestone": milestone.pk,
        "payment": milestone.payment.pk,
        "report": project.reports.first().pk,
        "variation": variation.pk,
        "output": output.pk,
    }


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """One world for the whole matrix, built once and rolled back at the end."""
    media_root = tmp_path_factory.mktemp("matrix-media")
    fast = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"], MEDIA_ROOT=str(media_root)
    )
    with django_db_blocker.unblock(), fast, transaction.atomic():
        cache.clear()
        built = build_world()
        for actor in ACTORS:
            client = Client()
            if actor != ANONYMOUS:
                client.force_login(built.users[actor])
                # Past the second step too (module-scoped, so the per-test force_login patch is not in force).
                verify_session(client, built.users[actor])
            built.clients[actor] = client
        yield built
        transaction.set_rollback(True)
    cache.clear()


# --- How each route's URL is filled ---------------------------------------------------------------------

Kwargs = Callable[[World, str, str], dict]


def no_kwargs(world: World, actor: str, target: str) -> dict:
    return {}


def bid_kwargs(world: World, actor: str, target: str) -> dict:
    return {"reference": world.reference(target)}


def with_bid(**extra: Callable[[World, str], object]) -> Kwargs:
    """The bid's reference plus ids of its rows, e.g. with_bid(partner_id=lambda w, t: w.partner_ids[t])."""

    def kwargs(world: World, actor: str, target: str) -> dict:
        return {"reference": world.reference(target), **{name: get(world, target) for name, get in extra.items()}}

    return kwargs


def assessment_kwargs(world: World, actor: str, target: str) -> dict:
    """Own: the actor's own assessment of the own bid (or, for anyone holding none, its assigned assessor's);
    other: another assessor's assessment of the other bid."""
    if target == "other":
        return {"pk": world.assessment_ids["other"]}
    return {"pk": world.assessment_ids.get(actor, world.assessment_ids["own"])}


def notification_kwargs(world: World, actor: str, target: str) -> dict:
    if target == "other" or actor == ANONYMOUS:
        return {"pk": world.notification_ids["other"]}
    return {"pk": world.notification_ids[actor]}


def round_kwargs(world: World, actor: str, target: str) -> dict:
    return {"pk": world.round_pk}


def project_kwargs(*ids: str, pk: str = "") -> Kwargs:
    """The project's reference, and `pk` as the id of one of its rows (milestone, report, …)."""

    def kwargs(world: World, actor: str, target: str) -> dict:
        project = world.projects[target]
        return {"reference": project["reference"], **({"pk": project[pk]} if pk else {})}

    return kwargs


# --- The matrix -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    kwargs: Kwargs = no_kwargs
    get: dict[str, frozenset[str]] | None = None  # target → actors allowed to GET; None: not a GET route
    post: dict[str, frozenset[str]] | None = None  # target → actors allowed to POST; None: no state-changing POST
    data: Callable[[World], dict] | dict = field(default_factory=dict)  # what is POSTed


DRAFTING = per_target(own=frozenset({LEAD}), other=NOBODY)
PROJECT_READERS = per_target(own=frozenset({LEAD, PARTNER}) | STAFF, other=STAFF)
PROJECT_LEAD = per_target(own=frozenset({LEAD}), other=NOBODY)
PROJECT_STAFF = per_target(own=STAFF, other=STAFF)


def drafting(kwargs: Kwargs = bid_kwargs, data: Callable[[World], dict] | dict | None = None) -> Route:
    """A page that changes the draft: the lead council's only."""
    return Route(kwargs=kwargs, get=DRAFTING, post=DRAFTING, data=data or {})


MATRIX: dict[str, Route] = {
    # Pages for everyone and signing in
    "home": Route(get=same(EVERYONE)),
    "accessibility": Route(get=same(EVERYONE)),
    "login": Route(get=same(EVERYONE), post=same(EVERYONE), data={"username": "nobody@example.test", "password": "x"}),
    "logout": Route(post=same(EVERYONE)),
    "password_reset": Route(get=same(EVERYONE), post=same(EVERYONE), data={"email": "nobody@example.test"}),
    "password_reset_done": Route(get=same(EVERYONE)),
    "password_reset_confirm": Route(
        kwargs=lambda w, a, t: {"uidb64": "MQ", "token": "not-a-token"},
        get=same(EVERYONE),
        post=same(EVERYONE),
        data={"new_password1": "x", "new_password2": "y"},
    ),
    "password_reset_complete": Route(get=same(EVERYONE)),
    # Two-factor sign-in: each signed-in person's own account; the second step's pages for whoever signed in.
    "account": Route(get=same(SIGNED_IN)),
    "two_factor_challenge": Route(get=same(SIGNED_IN), post=same(SIGNED_IN), data={"code": "000000"}),
    "two_factor_recovery": Route(get=same(SIGNED_IN), post=same(SIGNED_IN), data={"code": "nope"}),
    "two_factor_setup": Route(get=same(SIGNED_IN), post=same(SIGNED_IN), data={"code": "000000"}),
    # The QR code exists only while its person is part-way through setting up an app: nobody here is.
    "two_factor_qr": Route(get=same(NOBODY)),
    # POST makes new codes (from the account page) for those with a second factor (staff and assessors; anyone
    # else is sent to the second step); GET shows them once.
    "two_factor_recovery_codes": Route(get=same(SIGNED_IN), post=same(STAFF | ASSESSORS)),
    # Asks for a code from the app; anyone without an app to turn off (or who must keep it) is sent to their account.
    "two_factor_turn_off": Route(get=same(SIGNED_IN), post=same(SIGNED_IN), data={"code": "000000"}),
    # Councils' bid pages
    "bids:list": Route(get=same(SIGNED_IN)),
    "bids:start": Route(
        get=same(WITH_A_COUNCIL), post=same(WITH_A_COUNCIL), data=lambda w: {"funding_round": w.round_pk}
    ),
    "bids:detail": Route(kwargs=bid_kwargs, get=per_target(own=BID_READERS, other=STAFF)),
    # A confirmed partner opening the invitation again (an old email) is told its council has answered.
    "bids:invitation": Route(
        kwargs=bid_kwargs,
        get=per_target(own=frozenset({INVITED, PARTNER}), other=NOBODY),
        post=per_target(own=frozenset({INVITED, PARTNER}), other=NOBODY),
        data={"answer": "confirm"},
    ),
    "bids:print": Route(kwargs=bid_kwargs, get=per_target(own=BID_READERS, other=STAFF)),
    "bids:partners": drafting(data=lambda w: {"council": w.users[UNRELATED].councils.get().pk}),
    "bids:partner_remove": drafting(with_bid(partner_id=lambda w, t: w.partner_ids[t])),
    "bids:costs": Route(kwargs=bid_kwargs, get=DRAFTING),
    "bids:cost_amount": drafting(data={"amount_requested": "60000", "version": "0"}),
    "bids:cost_add": drafting(data={"payer": "lead", "description": "Matrix", "amount": "10"}),
    "bids:cost_change": drafting(
        with_bid(line_id=lambda w, t: w.line_ids[t]), data={"payer": "lead", "description": "Changed", "amount": "10"}
    ),
    "bids:cost_remove": drafting(with_bid(line_id=lambda w, t: w.line_ids[t])),
    "bids:documents": drafting(),
    "bids:document": Route(
        kwargs=with_bid(document_id=lambda w, t: w.document_ids[t]),
        get=per_target(own=DOCUMENT_READERS, other=STAFF),
    ),
    "bids:document_delete": drafting(with_bid(document_id=lambda w, t: w.document_ids[t])),
    "bids:check": drafting(data={"declaration": "on"}),
    # After submitting, the lead sees the confirmation; anyone else who may see the bid is sent to it.
    "bids:submitted": Route(kwargs=bid_kwargs, get=per_target(own=BID_READERS, other=STAFF)),
    "bids:withdraw": drafting(data={"reason": "Matrix", "confirm": "yes"}),
    # Lineage: only the lead of a funded discovery or alpha continues it (the own bid is a draft: told so).
    "bids:next_phase": Route(
        kwargs=bid_kwargs,
        get=per_target(own=frozenset({LEAD}), other=NOBODY),
        post=per_target(own=frozenset({LEAD}), other=NOBODY),
        data=lambda w: {"funding_round": w.round_pk},
    ),
    # Questions from the programme team: read by those who may read the bid in full; answered by its lead council.
    "bids:clarification": Route(
        kwargs=with_bid(pk=lambda w, t: w.clarification_ids[t]),
        get=per_target(own=DOCUMENT_READERS, other=STAFF),
        post=per_target(own=frozenset({LEAD}), other=NOBODY),
        data={"answer": "Matrix"},
    ),
    "bids:clarification_attachment": Route(
        kwargs=with_bid(pk=lambda w, t: w.clarification_ids[t]),
        get=per_target(own=DOCUMENT_READERS, other=STAFF),
    ),
    "bids:section": drafting(
        lambda w, a, t: {"reference": w.reference(t), "section": "about"},
        data={"title": "Matrix", "summary": "", "phase": "", "version": "0"},
    ),
    # Assessors' pages
    "assessments:list": Route(get=same(ASSESSORS)),
    "assessments:detail": Route(kwargs=assessment_kwargs, get=per_target(own=ASSESSMENT_HOLDERS | STAFF, other=STAFF)),
    "assessments:declare": Route(
        kwargs=assessment_kwargs,
        get=per_target(own=ASSESSMENT_HOLDERS, other=NOBODY),
        post=per_target(own=ASSESSMENT_HOLDERS, other=NOBODY),
        data={"conflict": "no"},
    ),
    "assessments:score": Route(
        kwargs=assessment_kwargs,
        get=per_target(own=ASSESSMENT_HOLDERS, other=NOBODY),
        post=per_target(own=ASSESSMENT_HOLDERS, other=NOBODY),
        data={"recommendation": "fund", "comments": "Matrix"},
    ),
    # An assessor who has declared no conflict proposes a question for the bid's team (staff send it or not).
    "assessments:propose_question": Route(
        kwargs=assessment_kwargs,
        get=per_target(own=frozenset({ASSESSOR}), other=NOBODY),
        post=per_target(own=frozenset({ASSESSOR}), other=NOBODY),
        data={"question": "Matrix?"},
    ),
    # Staff's assessment pages
    "assessments:unassign": Route(
        kwargs=assessment_kwargs,
        get=per_target(own=STAFF, other=STAFF),
        post=per_target(own=STAFF, other=STAFF),
        data={"reason": "Matrix"},
    ),
    "assessments:reopen": Route(
        kwargs=assessment_kwargs,
        get=per_target(own=STAFF, other=STAFF),
        post=per_target(own=STAFF, other=STAFF),
        data={"reason": "Matrix"},
    ),
    "assessments:staff_home": Route(get=same(STAFF)),
    "assessments:round": Route(kwargs=round_kwargs, get=same(STAFF)),
    "assessments:bulk_assign": Route(kwargs=round_kwargs, post=same(STAFF)),
    "assessments:ranking": Route(kwargs=round_kwargs, get=same(STAFF)),
    "assessments:panel_pack": Route(kwargs=round_kwargs, get=same(STAFF)),
    "assessments:calibration": Route(kwargs=round_kwargs, get=same(STAFF)),
    "assessments:bid": Route(kwargs=bid_kwargs, get=per_target(own=STAFF, other=STAFF)),
    "assessments:assign": Route(
        kwargs=bid_kwargs,
        post=per_target(own=STAFF, other=STAFF),
        data=lambda w: {"assessor": w.users[UNASSIGNED].pk},
    ),
    "assessments:moderate": Route(
        kwargs=lambda w, a, t: {"reference": w.reference(t), "criterion_pk": w.criterion_pk},
        get=per_target(own=STAFF, other=STAFF),
        post=per_target(own=STAFF, other=STAFF),
        data={"score": "3", "note": "Matrix"},
    ),
    # The partner finder: council members (not assessors) and staff browse open calls and see a call's pitch;
    # any of them may ask to join (the service says whether their council can); only the lead manages its call.
    "collaboration:calls": Route(get=same(COUNCILS | STAFF)),
    "collaboration:call": Route(
        kwargs=bid_kwargs,
        get=per_target(own=COUNCILS | STAFF, other=NOBODY),
        post=per_target(own=COUNCILS | STAFF, other=NOBODY),
        data={"message": "Matrix"},
    ),
    "collaboration:pitch": drafting(
        data={
            "title": "Matrix call",
            "problem": "A problem",
            "partners_do": "Testing",
            "join_by_day": "1",
            "join_by_month": "1",
            "join_by_year": "2020",
        }
    ),
    "collaboration:close": drafting(),
    "collaboration:request": drafting(
        with_bid(request_id=lambda w, t: w.request_id), data={"answer": "decline", "reason": "Matrix"}
    ),
    # Notifications: each person's own; the outbox for staff
    "notifications:list": Route(get=same(SIGNED_IN)),
    "notifications:read_all": Route(post=same(SIGNED_IN)),
    "notifications:preferences": Route(post=same(SIGNED_IN), data={"reminder_emails": "no"}),
    "notifications:detail": Route(kwargs=notification_kwargs, get=per_target(own=SIGNED_IN, other=NOBODY)),
    "notifications:staff_list": Route(get=same(STAFF)),
    "notifications:retry": Route(kwargs=lambda w, a, t: {"pk": w.failed_notification_id}, post=same(STAFF)),
    "notifications:retry_failed": Route(
        get=same(STAFF), post=same(STAFF), data={"since_day": "1", "since_month": "1", "since_year": "2026"}
    ),
    # Programme staff's pipeline
    "pipeline:dashboard": Route(get=same(STAFF)),
    "pipeline:bids": Route(get=same(STAFF)),
    "pipeline:bids_csv": Route(get=same(STAFF)),
    "pipeline:bid_detail": Route(kwargs=bid_kwargs, get=per_target(own=STAFF, other=STAFF)),
    "pipeline:bid_decide": Route(
        kwargs=lambda w, a, t: {"reference": w.reference(t), "decision": "return"},
        get=per_target(own=STAFF, other=STAFF),
        post=per_target(own=STAFF, other=STAFF),
        data={"message": "Matrix"},
    ),
    "pipeline:batch_award": Route(kwargs=round_kwargs, get=same(STAFF), post=same(STAFF), data={"conditions": ""}),
    # Rounds: set-up, the overview and its steps, the sift, questions to bids' teams
    "pipeline:rounds": Route(get=same(STAFF)),
    "pipeline:round_new": Route(get=same(STAFF), post=same(STAFF), data={"name": "Matrix"}),
    "pipeline:round": Route(kwargs=round_kwargs, get=same(STAFF)),
    "pipeline:round_edit": Route(kwargs=round_kwargs, get=same(STAFF), post=same(STAFF), data={"name": "Matrix"}),
    "pipeline:round_close": Route(kwargs=round_kwargs, get=same(STAFF), post=same(STAFF), data={"reason": "Matrix"}),
    "pipeline:round_sift": Route(kwargs=round_kwargs, get=same(STAFF)),
    "pipeline:round_move": Route(
        kwargs=lambda w, a, t: {"pk": w.round_pk, "step": "start-deciding"}, get=same(STAFF), post=same(STAFF)
    ),
    "pipeline:round_remind": Route(
        kwargs=lambda w, a, t: {"pk": w.round_pk, "assessor_pk": w.users[UNDECLARED].pk}, post=same(STAFF)
    ),
    "pipeline:bid_sift": Route(
        kwargs=bid_kwargs,
        get=per_target(own=STAFF, other=STAFF),
        post=per_target(own=STAFF, other=STAFF),
        data={"decision": "eligible"},
    ),
    "pipeline:clarification_ask": Route(
        kwargs=bid_kwargs,
        get=per_target(own=STAFF, other=STAFF),
        post=per_target(own=STAFF, other=STAFF),
        data={"question": "Matrix?", "reply_by_day": "1", "reply_by_month": "1", "reply_by_year": "2031"},
    ),
    "pipeline:clarification_discard": Route(
        kwargs=with_bid(pk=lambda w, t: w.proposal_ids[t]), post=per_target(own=STAFF, other=STAFF)
    ),
    # Public: funded projects and open data
    "pipeline:funded": Route(get=same(EVERYONE)),
    "pipeline:funded_package": Route(get=same(EVERYONE)),
    "pipeline:funded_round_package": Route(kwargs=lambda w, a, t: {"code": w.round_code}, get=same(EVERYONE)),
    "pipeline:api_schema": Route(get=same(EVERYONE)),
    "pipeline:api_360giving": Route(get=same(EVERYONE)),
    # The read API
    "pipeline:api-bid-list": Route(get=same(SIGNED_IN)),
    "pipeline:api-bid-detail": Route(kwargs=bid_kwargs, get=per_target(own=BID_READERS, other=STAFF)),
    # Similar work for a bid the caller may see (an assessor gets an empty list: nothing extra).
    "pipeline:api-bid-similar": Route(kwargs=bid_kwargs, get=per_target(own=BID_READERS, other=STAFF)),
    "pipeline:api-round-list": Route(get=same(SIGNED_IN)),
    "pipeline:api-round-detail": Route(kwargs=round_kwargs, get=same(SIGNED_IN)),
    # A project's public record is open to all; its `delivery` only to PROJECT_READERS (tests/projects).
    "pipeline:api-project-list": Route(get=same(EVERYONE)),
    "pipeline:api-project-detail": Route(kwargs=project_kwargs(), get=per_target(own=EVERYONE, other=EVERYONE)),
    "pipeline:finance_csv": Route(get=same(STAFF)),
    # Projects: the lead council delivers (LEAD also certifies the own project's reports); confirmed partners
    # read; any other signatory council may say it reuses the outputs; staff run the rest.
    "projects:list": Route(get=same(SIGNED_IN)),
    "projects:detail": Route(kwargs=project_kwargs(), get=PROJECT_READERS),
    "projects:accept": Route(kwargs=project_kwargs(), get=PROJECT_LEAD, post=PROJECT_LEAD, data={"confirm": "on"}),
    "projects:agreement": Route(kwargs=project_kwargs(), get=PROJECT_READERS),
    "projects:certifier": Route(
        kwargs=project_kwargs(),
        get=per_target(own=frozenset({LEAD}) | STAFF, other=STAFF),
        post=per_target(own=frozenset({LEAD}) | STAFF, other=STAFF),
        data={"user": "0"},
    ),
    "projects:evidence": Route(
        kwargs=project_kwargs(pk="milestone"), get=PROJECT_LEAD, post=PROJECT_LEAD, data={"evidence": ""}
    ),
    "projects:evidence_file": Route(kwargs=project_kwargs(pk="milestone"), get=PROJECT_READERS),
    "projects:report": Route(
        kwargs=project_kwargs(pk="report"), get=PROJECT_READERS, post=PROJECT_LEAD, data={"action": "save"}
    ),
    "projects:report_certify": Route(kwargs=project_kwargs(pk="report"), post=PROJECT_LEAD),
    "projects:variation_new": Route(
        kwargs=project_kwargs(), get=PROJECT_LEAD, post=PROJECT_LEAD, data={"kind": "scope", "reasons": ""}
    ),
    "projects:final_report": Route(
        kwargs=project_kwargs(), get=PROJECT_LEAD, post=PROJECT_LEAD, data={"action": "lessons"}
    ),
    "projects:output_remove": Route(kwargs=project_kwargs(pk="output"), post=PROJECT_LEAD),
    "projects:reuse": Route(
        kwargs=project_kwargs(),
        # Reuse is by other councils: not the project's lead, nor a confirmed partner (they deliver it).
        get=per_target(own=WITH_A_COUNCIL - {LEAD, PARTNER}, other=WITH_A_COUNCIL),
        post=per_target(own=WITH_A_COUNCIL - {LEAD, PARTNER}, other=WITH_A_COUNCIL),
        data={"council": "0", "note": ""},
    ),
    "projects:staff_list": Route(get=same(STAFF)),
    "projects:staff_detail": Route(kwargs=project_kwargs(), get=PROJECT_STAFF),
    "projects:staff_milestone_new": Route(
        kwargs=project_kwargs(), get=PROJECT_STAFF, post=PROJECT_STAFF, data={"title": ""}
    ),
    "projects:staff_milestone": Route(
        kwargs=project_kwargs(pk="milestone"), get=PROJECT_STAFF, post=PROJECT_STAFF, data={"title": ""}
    ),
    "projects:staff_payment": Route(
        kwargs=project_kwargs(pk="payment"), get=PROJECT_STAFF, post=PROJECT_STAFF, data={"action": "propose"}
    ),
    "projects:staff_report": Route(
        kwargs=project_kwargs(pk="report"), get=PROJECT_STAFF, post=PROJECT_STAFF, data={"action": "accept"}
    ),
    "projects:staff_variation": Route(
        kwargs=project_kwargs(pk="variation"), get=PROJECT_STAFF, post=PROJECT_STAFF, data={"action": "decline"}
    ),
    "projects:staff_withdraw": Route(
        kwargs=project_kwargs(), get=PROJECT_STAFF, post=PROJECT_STAFF, data={"reason": ""}
    ),
    "projects:staff_close": Route(kwargs=project_kwargs(), get=PROJECT_STAFF, post=PROJECT_STAFF),
    # Django admin: its own permission system; only the index is checked (staff/superuser accounts only).
    "admin:index": Route(get=same(frozenset({ADMINISTRATOR}))),
}


def first_allowed_posts(world: World) -> list[tuple[str, str, str, Route]]:
    """(route name, actor, URL, route) for every route and object with a state-changing POST, with the first
    actor allowed to send it: what the whole-service tests (every form empty, hostile values) post."""
    found = []
    for name, route in sorted(MATRIX.items()):
        for target, allowed in (route.post or {}).items():
            actor = next((a for a in ACTORS if a in allowed), None)
            if actor is not None:
                found.append((name, actor, reverse(name, kwargs=route.kwargs(world, actor, target) or None), route))
    return found


ALLOWED, REFUSED = "allowed", "refused"


def outcome(response) -> str:
    if response.status_code in (401, 403, 404):
        return REFUSED
    if response.status_code in (301, 302):
        location = response["Location"]
        if location.startswith((reverse("login"), reverse("admin:login"))):
            return REFUSED
    if response.status_code in (405, 500):
        return f"HTTP {response.status_code}"
    return ALLOWED


def send(client: Client, method: str, url: str, data: dict):
    """One request in a savepoint that is rolled back; the client's cookies (its session) are kept as they were."""
    cookies = copy.deepcopy(client.cookies)
    with transaction.atomic():
        response = client.get(url) if method == "GET" else client.post(url, data)
        transaction.set_rollback(True)
    client.cookies = cookies
    return response


def _named_routes(resolver: URLResolver, namespace: str = "") -> set[str]:
    names = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # Django admin keeps its own permissions; its index is in the matrix
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= _named_routes(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


def test_every_named_route_has_an_entry():
    routes = _named_routes(get_resolver())
    missing = sorted(routes - set(MATRIX))
    assert not missing, f"Routes with no entry in the permission matrix (add one to MATRIX): {missing}"
    stale = sorted(set(MATRIX) - routes - {"admin:index"})
    assert not stale, f"Entries in the permission matrix for routes that no longer exist: {stale}"


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_permission_matrix(name, world):
    route = MATRIX[name]
    mismatches = []
    for method, expected in (("GET", route.get), ("POST", route.post)):
        if expected is None:
            continue
        data = route.data(world) if callable(route.data) else route.data
        for target, allowed in expected.items():
            for actor in ACTORS:
                url = reverse(name, kwargs=route.kwargs(world, actor, target) or None)
                response = send(world.clients[actor], method, url, data)
                got, wanted = outcome(response), ALLOWED if actor in allowed else REFUSED
                if got != wanted:
                    where = "" if target == ONE else f" ({target})"
                    mismatches.append(
                        f"{method} {url}{where} by {actor}: {got} (HTTP {response.status_code}), expected {wanted}"
                    )
    assert not mismatches, "\n".join(mismatches)


def _methods_refused(route: Route) -> tuple[str, ...]:
    """The methods a route must answer 405 to: DELETE and PUT always (no page takes them), GET on a route that
    only changes state, POST on a route that only shows something."""
    refused = ["DELETE", "PUT"]
    if route.get is None:
        refused.append("GET")
    if route.post is None:
        refused.append("POST")
    return tuple(refused)


@pytest.mark.parametrize("name", sorted(set(MATRIX) - {"admin:index"}))
def test_a_method_a_route_does_not_take_is_answered_405(name, world):
    """Sent by someone the route lets in, so the answer is the method's, not the door's: a page that only shows
    something never answers a DELETE with the page, as if it had done something."""
    route = MATRIX[name]
    for target, allowed in {**(route.post or {}), **(route.get or {})}.items():
        actor = next((a for a in ACTORS if a in allowed), None)
        if actor is None:
            continue
        url = reverse(name, kwargs=route.kwargs(world, actor, target) or None)
        client = world.clients[actor]
        wrong = []
        for method in _methods_refused(route):
            cookies = copy.deepcopy(client.cookies)
            with transaction.atomic():
                response = client.generic(method, url)
                transaction.set_rollback(True)
            client.cookies = cookies
            if response.status_code != 405:
                wrong.append(f"{method} {url} by {actor}: HTTP {response.status_code}")
        assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("name", sorted(n for n, r in MATRIX.items() if r.get is not None and n != "admin:index"))
def test_a_page_answers_head_as_it_answers_get(name, world):
    """HEAD (what uptime checks and link checkers send) is answered like GET, without the body: by a page that
    only shows something (require_safe) and by a form page (core.views.form_methods), which shows its form and
    never takes a HEAD as sending it."""
    route = MATRIX[name]
    for target, allowed in route.get.items():
        actor = next((a for a in ACTORS if a in allowed), None)
        if actor is None:
            continue
        url = reverse(name, kwargs=route.kwargs(world, actor, target) or None)
        client = world.clients[actor]
        got = send(client, "GET", url, {}).status_code
        cookies = copy.deepcopy(client.cookies)
        with transaction.atomic():
            head = client.head(url)
            transaction.set_rollback(True)
        client.cookies = cookies
        assert head.status_code == got, (url, actor, head.status_code, got)

"""manage.py seed_demo: demo councils, people, rounds and bids in every state. Idempotent.

Every demo login uses the password printed at the end (DEMO_PASSWORD). Everything it makes up is fictional,
including which of the real councils have signed the Local Digital Declaration (no published list is bundled),
so it runs only with DEMO_DATA=true: every page then says "Demo data — not real grants", the council search
marks signatories as demo data, and the open data says so in its title, description and publisher.
Every demo login uses the password printed at the end (DEMO_PASSWORD). Programme staff, assessors and the
administrator also sign in with an authenticator app's code: each has a fixed demo secret, printed with the
logins, and `manage.py demo_totp <email>` prints the current code without an app.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import date, timedelta
from decimal import Decimal

from django.apps import apps as django_apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction
from django.db.models import ExpressionWrapper, F
from django.utils import timezone
from tqdm import tqdm

from assessments import services as assessment_services
from assessments.selectors import assignment_block_reason
from bids import services
from bids.choices import BidState, Payer, Phase, RoundState
from bids.models import Bid, FundingRound
from councils.choices import Role
from councils.models import Council, Membership, User
from councils.services import totp_device_install
from councils.signin import two_factor_required
from projects import services as project_services
from projects.choices import ProjectState, VariationKind
from projects.models import Milestone, Payment, Project

DEMO_PASSWORD = "localdigital-demo"  # noqa: S105 - documented demo login, never used in production
DEMO_EMAIL_DOMAIN = "demo.localdigital.test"


# How long ago Round 6 published its decisions (and offered its project), so its project is months into delivery.
ROUND_6_PUBLISHED_DAYS_AGO = 110


def _backdate_round(funding_round: FundingRound, delta: timedelta) -> None:
    """Move a round's whole recorded life `delta` earlier: every date and time of the round and of every record
    that hangs off it (its history, bids, their partners, documents, sifts, questions, assessments, scores…),
    found through the models' own relations, so a record added later moves too."""
    paths = ("funding_round", "bid__funding_round", "assessment__bid__funding_round")
    for model in django_apps.get_models():
        if model is FundingRound:
            lookup = "pk"
        else:
            lookup = next((path for path in paths if _has_path(model, path)), None)
            if lookup is None:
                continue
        fields = [f for f in model._meta.concrete_fields if isinstance(f, (models.DateField, models.DateTimeField))]
        if fields:
            model.objects.filter(**{lookup: funding_round.pk}).update(
                **{f.attname: ExpressionWrapper(F(f.attname) - delta, output_field=f) for f in fields}
            )


def _has_path(model, path: str) -> bool:
    for name in path.split("__"):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return False
        if not field.is_relation or field.many_to_many or field.one_to_many:
            return False
        model = field.related_model
    return model is FundingRound


def demo_totp_key(email: str) -> str:
    """The fixed authenticator secret (hex, as django-otp stores it) of a demo account: the same on every machine,
    so the printed secret keeps working after the demo database is made again."""
    return hashlib.sha1(f"ldf-demo-totp:{email}".encode()).hexdigest()  # noqa: S324 - a demo secret, not a hash


def demo_totp_secret(email: str) -> str:
    """The same secret as an authenticator app takes it (base32)."""
    return base64.b32encode(bytes.fromhex(demo_totp_key(email))).decode()


# Councils that have not signed the Local Digital Declaration in the demo (the rest have).
NON_SIGNATORIES = ["BRW", "MDE", "WOX", "NDE", "SOX", "EDE"]

PEOPLE = [
    ("staff@demo.localdigital.test", "Priya Shah", Role.PROGRAMME_STAFF, []),
    ("admin@demo.localdigital.test", "Alex Morgan", Role.ADMIN, []),
    ("lead@bristol.demo.localdigital.test", "Sam Taylor", Role.COUNCIL_MEMBER, ["BST"]),
    ("officer@bristol.demo.localdigital.test", "Jo Evans", Role.COUNCIL_MEMBER, ["BST"]),
    ("partner@bath.demo.localdigital.test", "Chris Hughes", Role.COUNCIL_MEMBER, ["BAS"]),
    ("partner@plymouth.demo.localdigital.test", "Ruth Patel", Role.COUNCIL_MEMBER, ["PLY"]),
    ("lead@leeds.demo.localdigital.test", "Dan Okafor", Role.COUNCIL_MEMBER, ["LDS"]),
    ("partner@sheffield.demo.localdigital.test", "Amira Khan", Role.COUNCIL_MEMBER, ["SHF"]),
    ("partner@manchester.demo.localdigital.test", "Tom Walsh", Role.COUNCIL_MEMBER, ["MAN"]),
    ("lead@hackney.demo.localdigital.test", "Grace Lee", Role.COUNCIL_MEMBER, ["HCK"]),
    ("partner@camden.demo.localdigital.test", "Ben Clarke", Role.COUNCIL_MEMBER, ["CMD"]),
    ("partner@brent.demo.localdigital.test", "Nia Roberts", Role.COUNCIL_MEMBER, ["BEN"]),
    ("assessor1@demo.localdigital.test", "Helen Wright", Role.ASSESSOR, ["KEN"]),
    ("assessor2@demo.localdigital.test", "Omar Farouk", Role.ASSESSOR, ["OXF"]),
    ("assessor3@demo.localdigital.test", "Lucy Green", Role.ASSESSOR, ["CON"]),
]

# Not a state: a Round 7 bid in review whose assessors disagree, so staff have something to moderate.
NEEDS_MODERATION = "needs_moderation"

BIDS = [
    # (lead, partners, title, phase, amount, final state)
    ("BST", ["BAS", "PLY"], "Shared digital front door for housing repairs", Phase.DISCOVERY, "79500", BidState.DRAFT),
    ("LDS", ["SHF", "MAN"], "Reusable school admissions appeals service", Phase.ALPHA, "240000", BidState.IN_REVIEW),
    ("HCK", ["CMD", "BEN"], "Open data standard for planning applications", Phase.BETA, "325000", BidState.SCORED),
    ("BST", ["PLY", "CON"], "Blue Badge renewals without paper", Phase.ALPHA, "180000", BidState.AWARDED),
    ("LDS", ["MAN", "SHF"], "Council tax single person discount checks", Phase.DISCOVERY, "60000", BidState.NOT_FUNDED),
    ("HCK", ["BEN", "CMD"], "Pest control booking component", Phase.DISCOVERY, "45000", BidState.INELIGIBLE),
    ("BST", ["BAS", "CON"], "Garden waste subscriptions platform", Phase.DISCOVERY, "70000", BidState.WITHDRAWN),
    ("LDS", ["SHF", "MAN"], "Adult social care charging calculator", Phase.ALPHA, "210000", NEEDS_MODERATION),
]

# The round each demo bid ends in: Round 8 is open, Round 7 is assessing, Round 6 has published its decisions.
ROUND_OF = {
    BidState.DRAFT: "R8",
    BidState.WITHDRAWN: "R8",
    BidState.IN_REVIEW: "R7",
    NEEDS_MODERATION: "R7",
    BidState.SCORED: "R7",
    BidState.AWARDED: "R6",
    BidState.NOT_FUNDED: "R6",
    BidState.INELIGIBLE: "R6",
}

CONTENT = {
    "summary": (
        "{lead} and partners will {verb} a {title_lower} that any council can reuse. We will work in the "
        "open, publish our research and code, and share what we learn through the Local Digital community."
    ),
    "problem": "Residents struggle to use the current service: it is paper-based, slow and costly to run. "
    "Each council has built its own version, and none meets user needs well.",
    "user_needs": "We interviewed 42 residents and 18 staff across the three councils. As a resident I need to "
    "know where my request is, so that I do not have to phone the council.",
    "approach": "A multidisciplinary team working in two-week sprints, with user research in every sprint and "
    "show-and-tells open to any council.",
    "outputs_and_reuse": "Open-source code under the MIT licence, a service pattern, research findings and a "
    "data standard, all published on GitHub and the Local Digital website.",
    "working_in_the_open": "Weeknotes every Friday, open show-and-tells, and a public Trello board.",
}


ASSESSOR_EMAILS = [email for email, _name, role, _codes in PEOPLE if role == Role.ASSESSOR]

# Per assessor, scores for strategic fit, deliverability and value for money (5 Strong … 1 Poor).
DEMO_SCORES = {
    BidState.SCORED: [(4, 4, 4), (4, 4, 3)],  # 70.83
    BidState.AWARDED: [(5, 4, 4), (4, 4, 5)],  # 83.33
    BidState.NOT_FUNDED: [(2, 3, 2), (3, 3, 2)],  # 37.50
    NEEDS_MODERATION: [(5, 4, 4), (2, 4, 3)],  # strategic fit 5 against 2: over the divergence threshold
}
JUSTIFICATIONS = {
    5: "Compelling evidence throughout: user research with residents in every partner council and a clear plan "
    "for reuse.",
    4: "Good evidence and a credible plan; the bid would be stronger with firmer commitments from partners.",
    3: "Adequate, but the evidence is thin in places and some risks are not addressed.",
    2: "Only partly convincing: the bid gives little evidence and leaves important questions unanswered.",
    1: "The bid does not address this criterion.",
}
RECOMMENDATIONS = {5: "fund", 4: "fund_with_conditions", 3: "fund_with_conditions", 2: "do_not_fund", 1: "do_not_fund"}


class Command(BaseCommand):
    help = (
        "Load demo data: councils, people for each role, a round open for bids, one assessing and one with its "
        "decisions published, and bids in every state."
    )

    def handle(self, *args, **options) -> None:
        if not settings.DEMO_DATA:
            raise CommandError(
                "seed_demo makes up bids, awards and councils' Local Digital Declaration status. Set DEMO_DATA=true "
                "so that every page and the open data say it is demo data (bin/dev does), then run it again."
            )
        call_command("load_councils", verbosity=0)
        with transaction.atomic():
            self._declarations()
            people = self._people()
            rounds = self._rounds()
        if not Bid.objects.filter(funding_round__in=rounds.values()).exists():
            self._bids(people, rounds)
        self._assessments_in_progress(people, FundingRound.objects.get(pk=rounds["R7"].pk))
        self._projects(people)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for email, name, role, codes in PEOPLE:
            where = f" – {', '.join(codes)}" if codes else ""
            self.stdout.write(f"  {Role(role).label:<16} {email}  ({name}{where})")
        self.stdout.write(
            "Programme staff, assessors and the administrator also enter a code from an authenticator app. Add the "
            "secret to any app (Google Authenticator, Microsoft Authenticator, 1Password…), or print the current "
            "code with: .venv/bin/python manage.py demo_totp <email>"
        )
        for email, *_rest in PEOPLE:
            if two_factor_required(people[email]):
                self.stdout.write(f"  {email:<36} secret {demo_totp_secret(email)}")

    def _declarations(self) -> None:
        # Invented for the demo (see the module's docstring): the pages say so while DEMO_DATA is on.
        signed = date(2018, 7, 4)
        Council.objects.exclude(register_code__in=NON_SIGNATORIES).filter(declaration_signed_on__isnull=True).update(
            declaration_signed_on=signed
        )
        Council.objects.filter(register_code__in=NON_SIGNATORIES).update(declaration_signed_on=None)

    def _people(self) -> dict[str, User]:
        people = {}
        for email, name, role, codes in PEOPLE:
            user, created = User.objects.get_or_create(
                email=email,
                defaults={
                    "full_name": name,
                    "role": role,
                    "is_staff": role == Role.ADMIN,
                    "is_superuser": role == Role.ADMIN,
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            for code in codes:
                Membership.objects.get_or_create(user=user, council=Council.objects.get(register_code=code))
            if two_factor_required(user):
                totp_device_install(user=user, key=demo_totp_key(email))
            people[email] = user
        return people

    def _rounds(self) -> dict[str, FundingRound]:
        """Round 8 open for bids; Round 7 closed and assessing; Round 6 with its decisions published."""
        now = timezone.now()
        caps = {Phase.DISCOVERY: Decimal("80000"), Phase.ALPHA: Decimal("250000"), Phase.BETA: Decimal("350000")}
        rounds = {}
        for code, opened_days_ago, deadline_days in (("R8", 30, 60), ("R7", 120, 30), ("R6", 300, 10)):
            funding_round = FundingRound.objects.filter(code=code).first()
            if funding_round is None:
                funding_round = services.round_create(
                    name=f"Local Digital Fund Round {code[1:]}",
                    code=code,
                    opens_at=now - timedelta(days=opened_days_ago),
                    closes_at=now + timedelta(days=21),
                    assessment_deadline=now + timedelta(days=deadline_days + 21),
                    budget=Decimal("2000000"),
                    phase_caps=caps,
                )
                funding_round = services.round_open(funding_round=funding_round)  # as beat opens it
            rounds[code] = funding_round
        return rounds

    def _close(self, funding_round: FundingRound, *, days_ago: int) -> FundingRound:
        """The round's closing time has passed: it closes as beat closes it."""
        FundingRound.objects.filter(pk=funding_round.pk).update(closes_at=timezone.now() - timedelta(days=days_ago))
        funding_round.refresh_from_db()
        return services.round_close(funding_round=funding_round)

    def _bids(self, people: dict[str, User], rounds: dict[str, FundingRound]) -> None:
        staff = people["staff@demo.localdigital.test"]
        leads = {
            "BST": people["lead@bristol.demo.localdigital.test"],
            "LDS": people["lead@leeds.demo.localdigital.test"],
            "HCK": people["lead@hackney.demo.localdigital.test"],
        }
        members = {m.council.register_code: m.user for m in Membership.objects.select_related("council", "user")}
        made: dict[str, Bid] = {}
        for lead_code, partner_codes, title, phase, amount, final_state in tqdm(BIDS, desc="Demo bids", unit="bid"):
            funding_round = rounds[ROUND_OF[final_state]]
            lead_user = leads[lead_code]
            lead = Council.objects.get(register_code=lead_code)
            bid = services.bid_create(funding_round=funding_round, lead_council=lead, by=lead_user)
            amount = Decimal(amount)
            services.bid_update(
                bid=bid,
                by=lead_user,
                title=title,
                phase=phase,
                amount_requested=amount,
                planned_start=(timezone.now() + timedelta(days=90)).date(),
                duration_months=6,
                lead_contact_phone="0117 922 2000",
                **{
                    key: text.format(lead=lead.name, verb="discover and design", title_lower=title.lower())
                    for key, text in CONTENT.items()
                },
            )
            services.cost_line_add(
                bid=bid,
                by=lead_user,
                payer=Payer.LEAD,
                description="Product manager and user researcher",
                amount=amount * Decimal("0.4"),
            )
            services.cost_line_add(
                bid=bid,
                by=lead_user,
                payer=Payer.SUPPLIER,
                description="Agile delivery partner (design and development)",
                amount=amount * Decimal("0.6"),
            )
            for code in partner_codes:
                partner = services.partner_invite(
                    bid=bid, council=Council.objects.get(register_code=code), by=lead_user
                )
                if final_state != BidState.DRAFT or code == partner_codes[0]:
                    services.partner_respond(partner=partner, by=members[code], confirm=True)
            if final_state == BidState.DRAFT:
                continue
            if final_state == BidState.WITHDRAWN:
                services.bid_withdraw(
                    bid=bid, by=lead_user, reason="Our partner councils could not commit staff time this year."
                )
                continue
            made[final_state] = services.bid_submit(bid=bid, by=lead_user)

        # Rounds 7 and 6 have closed: their bids are sifted, Round 7's assessed, Round 6's decided and published.
        for code, days_ago in (("R7", 7), ("R6", 60)):
            funding_round = self._close(rounds[code], days_ago=days_ago)
            for bid in funding_round.bids.filter(state=BidState.IN_REVIEW).order_by("number"):
                if bid.pk == made[BidState.INELIGIBLE].pk:
                    services.bid_sift(
                        bid=bid,
                        by=staff,
                        eligible=False,
                        note="Pest control booking is already available as a reusable component funded in Round 4.",
                    )
                else:
                    services.bid_sift(bid=bid, by=staff, eligible=True)
            services.round_start_assessing(funding_round=funding_round, by=staff)
        for final_state in (BidState.SCORED, NEEDS_MODERATION, BidState.AWARDED, BidState.NOT_FUNDED):
            # Real assessments: the last submission aggregates the scores and marks the bid scored.
            self._assess(Bid.objects.get(pk=made[final_state].pk), staff, DEMO_SCORES[final_state])
        services.round_start_deciding(funding_round=rounds["R6"], by=staff)
        services.bid_award(
            bid=Bid.objects.get(pk=made[BidState.AWARDED].pk),
            by=staff,
            amount=made[BidState.AWARDED].amount_requested,
            conditions="Publish weeknotes and share code openly from the start.",
        )
        services.bid_decline(
            bid=Bid.objects.get(pk=made[BidState.NOT_FUNDED].pk),
            by=staff,
            feedback="The bid did not show enough evidence of demand from other councils.",
        )
        services.round_publish_decisions(funding_round=FundingRound.objects.get(pk=rounds["R6"].pk), by=staff)
        # Round 6's project is months into delivery (`_projects`): its round's whole life moves back in time with
        # it, so the award comes before the offer, and the offer before the payments.
        _backdate_round(rounds["R6"], timedelta(days=ROUND_6_PUBLISHED_DAYS_AGO))

    def _projects(self, people: dict[str, User]) -> None:
        """Round 6's award is a project in delivery: the offer accepted, a certifier, a schedule of three
        milestones, the first paid (proposed and approved by two staff), a report accepted, one returned and one
        awaiting certification, and a change waiting for a decision. Runs once (while the offer is open)."""
        for funding_round in FundingRound.objects.filter(state=RoundState.PUBLISHED):
            project_services.projects_create_for_round(funding_round=funding_round)
        project = Project.objects.filter(state=ProjectState.OFFERED, lead_council__register_code="BST").first()
        if project is None:
            return
        lead, officer = people["lead@bristol.demo.localdigital.test"], people["officer@bristol.demo.localdigital.test"]
        staff, admin = people["staff@demo.localdigital.test"], people["admin@demo.localdigital.test"]
        with transaction.atomic():
            # The offer is made when the round's decisions are published.
            Project.objects.filter(pk=project.pk).update(offered_at=project.bid.funding_round.decisions_published_at)
            project.refresh_from_db()
            project = project_services.offer_accept(project=project, by=lead, conditions_confirmed=True)
            Project.objects.filter(pk=project.pk).update(accepted_at=timezone.now() - timedelta(days=95))
            project.refresh_from_db()
            # Its history says so too: offered when the decisions were published, accepted days later.
            project.history.filter(transition="offer").update(at=project.offered_at)
            project.history.filter(transition="accept_offer").update(at=project.accepted_at)
            project_services.certifier_appoint(project=project, by=lead, user=officer, role_title="Section 151 officer")
            today = timezone.localdate()
            share = (project.award_amount / 3).quantize(Decimal("0.01"))
            milestones = [
                project_services.milestone_add(
                    project=project, by=staff, title=title, due_date=today + timedelta(days=days), amount=amount
                )
                for title, days, amount in (
                    ("Discovery findings published", -35, share),
                    ("Alpha prototypes tested with residents", 40, share),
                    ("Beta service live in two councils", 120, project.award_amount - 2 * share),
                )
            ]
            project_services.milestone_submit_evidence(
                milestone=milestones[0],
                by=lead,
                evidence="Findings and research report: https://example.org/blue-badge/discovery",
            )
            Milestone.objects.filter(pk=milestones[0].pk).update(submitted_at=timezone.now() - timedelta(days=25))
            payment = Payment.objects.get(pk=milestones[0].payment.pk)
            payment = project_services.payment_propose(payment=payment, by=staff)
            # Proposed and approved before it was paid, three weeks ago (the services stamp them now).
            Payment.objects.filter(pk=payment.pk).update(proposed_at=timezone.now() - timedelta(days=23))
            payment.refresh_from_db()
            project_services.payment_approve(payment=payment, by=admin, paid_on=today - timedelta(days=20))
            Payment.objects.filter(pk=payment.pk).update(approved_at=timezone.now() - timedelta(days=21))
            reports = list(project.reports.order_by("due_date"))
            answers = {
                "progress": "Discovery finished: 14 interviews with Blue Badge holders and 3 councils' teams.",
                "spend_to_date": str(share),
                "spend_planned": str(share),
                "rag": "green",
                "risks": "Recruiting residents for alpha testing in the summer holidays.",
                "outputs": "Discovery report and user journey map.",
                "next_steps": "Start alpha with two prototype journeys.",
            }
            for index, report in enumerate(reports[:3]):
                report = project_services.report_update(report=report, by=lead, values=answers)
                report = project_services.report_submit(report=report, by=lead)
                if index == 2:
                    continue  # awaiting certification
                report = project_services.report_certify(report=report, by=officer)
                if index == 0:
                    project_services.report_accept(report=report, by=staff)
                else:
                    project_services.report_return(
                        report=report, by=staff, message="Please split the spend between the lead and the partners."
                    )
            project_services.variation_request(
                project=project,
                by=lead,
                kind=VariationKind.DATES,
                reasons="Resident testing moves two weeks later because of the school holidays.",
                changes={str(milestones[1].pk): milestones[1].due_date + timedelta(days=14)},
            )

    def _assess(self, bid: Bid, staff: User, score_sets: list[tuple[int, ...]]) -> None:
        """Assign eligible demo assessors and submit their scores through the assessment services."""
        assessors = [
            assessor
            for assessor in User.objects.filter(email__in=ASSESSOR_EMAILS).order_by("email")
            if not assignment_block_reason(bid=bid, assessor=assessor)
        ]
        criteria = list(bid.funding_round.criteria.all())
        for assessor, scores in zip(assessors, score_sets, strict=False):
            assessment = assessment_services.assessment_assign(bid=bid, assessor=assessor, by=staff)
            assessment_services.assessment_declare(assessment=assessment, by=assessor, conflict=False)
            overall = round(sum(scores) / len(scores))
            assessment_services.assessment_submit(
                assessment=assessment,
                by=assessor,
                scores={c.pk: (score, JUSTIFICATIONS[score]) for c, score in zip(criteria, scores, strict=True)},
                recommendation=RECOMMENDATIONS[overall],
                comments="A well-made case from committed partners." if overall >= 4 else "Not ready for funding.",
            )

    def _assessments_in_progress(self, people: dict[str, User], assessing_round: FundingRound) -> None:
        """Round 7's bid in review: one assessor declared a conflict, one is scoring (and has asked the bid's team
        a question through staff, which its lead council answered), one has yet to start."""
        bid = assessing_round.bids.filter(state=BidState.IN_REVIEW, needs_moderation=False).order_by("number").first()
        if bid is None or bid.assessments.exists():
            return
        staff = people["staff@demo.localdigital.test"]
        helen, omar, lucy = (people[email] for email in ASSESSOR_EMAILS)
        with transaction.atomic():
            conflicted = assessment_services.assessment_assign(bid=bid, assessor=lucy, by=staff)
            assessment_services.assessment_declare(
                assessment=conflicted,
                by=lucy,
                conflict=True,
                details="I was seconded to Sheffield's digital team last year and helped shape this idea.",
            )
            scoring = assessment_services.assessment_assign(bid=bid, assessor=helen, by=staff)
            assessment_services.assessment_declare(assessment=scoring, by=helen, conflict=False)
            first = bid.funding_round.criteria.order_by("position", "pk").first()
            assessment_services.assessment_save_scores(
                assessment=scoring,
                by=helen,
                scores={first.pk: (4, JUSTIFICATIONS[4])},
                recommendation="",
                comments="",
            )
            assessment_services.assessment_assign(bid=bid, assessor=omar, by=staff)
            proposal = services.clarification_propose(
                bid=bid, by=helen, question="Which of the three councils will host the service once it is live?"
            )
            question = services.clarification_ask(
                bid=bid,
                by=staff,
                question=proposal.question,
                reply_by=timezone.localdate() + timedelta(days=5),
                proposal=proposal,
            )
            question.bid = Bid.objects.select_related("funding_round", "lead_council").get(pk=bid.pk)
            services.clarification_answer(
                clarification=question,
                by=people["lead@leeds.demo.localdigital.test"],
                answer="Leeds will host it, with Sheffield and Manchester sharing the running costs.",
            )

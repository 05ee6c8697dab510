"""Each project email reaches a real SMTP server through a real Celery worker, once per occurrence, to the
right people, with its links on the service (the browser journey in tests/e2e does the same through the pages)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from councils.choices import Role
from notifications.choices import Event
from projects import services
from projects.models import Project
from tests.factories import award, make_council, make_round, make_user, publish_decisions
from tests.factories.assessments import make_in_review_bid, make_scored_bid
from tests.notifications.test_delivery_events import delivered
from tests.real_services import body_text, site_paths, wait_settled

pytestmark = pytest.mark.django_db(transaction=True)


def test_every_step_is_emailed_once_to_the_right_people(mailer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    staff = make_user(role=Role.PROGRAMME_STAFF, email="pat@fund.example.test")
    staff2 = make_user(role=Role.PROGRAMME_STAFF, email="sam@fund.example.test")
    lead_council = make_council("PEL", "Leadshire")
    lead = make_user(councils=[lead_council], email="lead@leadshire.example.test")
    officer = make_user(councils=[lead_council], email="s151@leadshire.example.test")
    other_council = make_council("PEO", "Otherham")
    other = make_user(councils=[other_council])
    funding_round = make_round(code="PE", budget="500000")
    bid = make_scored_bid(
        funding_round=funding_round,
        bid=make_in_review_bid(funding_round=funding_round, lead=lead_council, by=lead, amount="60000"),
    )
    award(bid, amount="60000", by=staff)
    wait_settled()
    mailer.messages.clear()

    publish_decisions(funding_round, by=staff)
    project = Project.objects.get(bid=bid)
    offer = delivered(mailer, Event.OFFER_MADE, [lead, officer])[lead.email]
    assert f"/projects/{project.reference}/accept/" in site_paths(offer)
    project = services.offer_accept(project=project, by=lead, conditions_confirmed=True)
    delivered(mailer, Event.OFFER_ACCEPTED, [staff, staff2])
    services.certifier_appoint(project=project, by=lead, user=officer)
    milestone = services.milestone_add(
        project=project, by=staff, title="Findings", due_date=timezone.localdate() + timedelta(days=20), amount="60000"
    )
    report = project.reports.get()
    report = services.report_update(
        report=report,
        by=lead,
        values={"progress": "Good", "spend_to_date": "1", "spend_planned": "1", "rag": "green", "next_steps": "On"},
    )
    report = services.report_submit(report=report, by=lead)
    certify = delivered(mailer, Event.REPORT_SUBMITTED, [officer])[officer.email]
    assert f"/projects/{project.reference}/reports/{report.pk}/" in site_paths(certify)
    report = services.report_certify(report=report, by=officer)
    delivered(mailer, Event.REPORT_CERTIFIED, [staff, staff2])
    report = services.report_return(report=report, by=staff, message="Split the spend by council.")
    returned = delivered(mailer, Event.REPORT_RETURNED, [lead, officer])[lead.email]
    assert "Split the spend by council." in body_text(returned)
    report = services.report_certify(report=services.report_submit(report=report, by=lead), by=officer)
    services.report_accept(report=report, by=staff)
    delivered(mailer, Event.REPORT_ACCEPTED, [lead, officer])
    milestone.project = project
    services.milestone_submit_evidence(milestone=milestone, by=lead, evidence="Done")
    payment = services.payment_propose(payment=milestone.payment, by=staff)
    delivered(mailer, Event.PAYMENT_PROPOSED, [staff2])
    services.payment_approve(payment=payment, by=staff2)
    approved = delivered(mailer, Event.PAYMENT_APPROVED, [lead, officer])[lead.email]
    assert "£60,000" in approved["Subject"]
    variation = services.variation_request(
        project=project, by=lead, kind="scope", reasons="Focus", changes={"scope": "Repairs only"}
    )
    delivered(mailer, Event.VARIATION_REQUESTED, [staff, staff2])
    services.variation_decline(variation=variation, by=staff, reason="Keep the scope")
    decided = delivered(mailer, Event.VARIATION_DECIDED, [lead, officer])[lead.email]
    assert "declined" in decided["Subject"] and "Keep the scope" in body_text(decided)
    services.output_add(project=project, by=lead, title="Code", url="https://example.org/code", kind="code")
    services.final_report_update(project=project, by=lead, lessons_learned="Test early")
    services.project_complete(project=project, by=lead)
    delivered(mailer, Event.PROJECT_COMPLETED, [staff, staff2])
    services.reuse_record(project=project, by=other, council=other_council, note="We use it")
    services.project_close(project=project, by=staff)
    partner_members = [partner.council.members.first() for partner in bid.partners.all()]
    closed = delivered(mailer, Event.PROJECT_CLOSED, [lead, officer, *partner_members])[lead.email]
    assert f"/projects/{project.reference}/" in site_paths(closed)

    wait_settled()
    sent: dict[str, int] = {}
    for message in mailer.messages:
        sent[message["X-LDF-Event"]] = sent.get(message["X-LDF-Event"], 0) + 1
    partners = bid.partners.count()
    assert sent == {
        Event.BID_AWARDED: 2 + partners,
        Event.OFFER_MADE: 2,
        Event.OFFER_ACCEPTED: 2,
        Event.REPORT_SUBMITTED: 2,
        Event.REPORT_CERTIFIED: 4,
        Event.REPORT_RETURNED: 2,
        Event.REPORT_ACCEPTED: 2,
        Event.PAYMENT_PROPOSED: 1,
        Event.PAYMENT_APPROVED: 2,
        Event.VARIATION_REQUESTED: 2,
        Event.VARIATION_DECIDED: 2,
        Event.PROJECT_COMPLETED: 2,
        Event.PROJECT_CLOSED: 2 + partners,
    }


def test_a_withdrawn_project_s_councils_hear_why(mailer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    staff = make_user(role=Role.PROGRAMME_STAFF, email="pat@fund.example.test")
    lead_council = make_council("PWL", "Leadshire")
    lead = make_user(councils=[lead_council], email="lead@leadshire.example.test")
    funding_round = make_round(code="PW", budget="500000")
    bid = make_scored_bid(
        funding_round=funding_round,
        bid=make_in_review_bid(funding_round=funding_round, lead=lead_council, by=lead, amount="60000"),
    )
    award(bid, amount="60000", by=staff)
    publish_decisions(funding_round, by=staff)
    wait_settled()
    project = Project.objects.get(bid=bid)
    partner_members = [partner.council.members.first() for partner in bid.partners.all()]

    services.project_withdraw(project=project, by=staff, reason="The lead council can no longer deliver it.")

    told = delivered(mailer, Event.PROJECT_WITHDRAWN, [lead, *partner_members])
    message = told[lead.email]
    assert "project withdrawn" in message["Subject"] and project.reference in message["Subject"]
    assert "The lead council can no longer deliver it." in body_text(message)
    assert "No more payments will be made" in body_text(message)
    assert f"/projects/{project.reference}/" in site_paths(message)

"""Permission predicates for projects. Each takes a project or an object of one (a report, a milestone, a
payment, a variation) and is also called with None by Django's global check: handle it.

The lead council delivers the project (accepts the offer, reports, asks for changes, writes the final report);
its confirmed partners read it; the certifier (a lead member given that role for the project) certifies reports;
programme staff run the schedule, payments, report acceptance, changes and closure; any other signatory council
may record that it reuses the project's outputs.
"""

from __future__ import annotations

import rules

from bids.choices import PartnerStatus
from core.rules import is_programme_staff
from councils.selectors import user_council_ids
from projects.selectors import councils_that_may_record_reuse


def _project(obj):
    return getattr(obj, "project", obj) if obj is not None else None


@rules.predicate
def is_project_lead_member(user, obj) -> bool:
    project = _project(obj)
    return project is not None and project.lead_council_id in user_council_ids(user)


@rules.predicate
def is_project_partner_member(user, obj) -> bool:
    project = _project(obj)
    council_ids = user_council_ids(user)
    if project is None or not council_ids:
        return False
    return any(
        partner.council_id in council_ids and partner.status == PartnerStatus.CONFIRMED
        for partner in project.bid.partners.all()
    )


@rules.predicate
def is_project_certifier(user, obj) -> bool:
    project = _project(obj)
    if project is None or not getattr(user, "is_authenticated", False):
        return False
    certifier = getattr(project, "certifier", None)
    return certifier is not None and certifier.user_id == user.pk and project.lead_council_id in user_council_ids(user)


@rules.predicate
def is_other_signatory_member(user, obj) -> bool:
    """A member of a Declaration signatory council that does not deliver the project (neither its lead nor a
    confirmed partner)."""
    project = _project(obj)
    if project is None or not getattr(user, "is_authenticated", False):
        return False
    return councils_that_may_record_reuse(project=project, user=user).exists()


is_project_member = is_project_lead_member | is_project_partner_member

rules.add_perm("projects.view_project", is_programme_staff | is_project_member)
rules.add_perm("projects.accept_offer", is_project_lead_member)
rules.add_perm("projects.appoint_certifier", is_project_lead_member | is_programme_staff)
rules.add_perm("projects.submit_evidence", is_project_lead_member)
rules.add_perm("projects.edit_report", is_project_lead_member)
rules.add_perm("projects.submit_report", is_project_lead_member)
rules.add_perm("projects.certify_report", is_project_certifier)
rules.add_perm("projects.accept_report", is_programme_staff)
rules.add_perm("projects.return_report", is_programme_staff)
rules.add_perm("projects.request_variation", is_project_lead_member)
rules.add_perm("projects.decide_variation", is_programme_staff)
rules.add_perm("projects.manage_schedule", is_programme_staff)
rules.add_perm("projects.propose_payment", is_programme_staff)
rules.add_perm("projects.approve_payment", is_programme_staff)
rules.add_perm("projects.submit_final_report", is_project_lead_member)
rules.add_perm("projects.close_project", is_programme_staff)
rules.add_perm("projects.withdraw_project", is_programme_staff)
rules.add_perm("projects.record_reuse", is_other_signatory_member)
rules.add_perm("projects.view_all_projects", is_programme_staff)

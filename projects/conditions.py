"""The conditions of the project and report state machines: small pure functions named for the rule, each with
the reason it gives when unmet (core.transitions.refusal)."""

from __future__ import annotations

from typing import Any

from core.exceptions import Problem
from core.transitions import refusal
from projects.choices import PaymentStatus, ProjectState


def milestones_without_evidence(project: Any) -> list[Problem]:
    """The final report comes once the work is done: a schedule set, and evidence sent for each milestone (a
    milestone the project will not meet is changed or taken out of the schedule with the programme team first)."""
    milestones = list(project.milestones.order_by("due_date", "pk"))
    if not milestones:
        return [Problem("The programme team has not set this project’s milestones yet, so it cannot be completed")]
    missing = [milestone.title for milestone in milestones if not milestone.evidence_submitted]
    if not missing:
        return []
    named = ", ".join(f"‘{title}’" for title in missing)
    verb = "has" if len(missing) == 1 else "have"
    return [Problem(f"Send the evidence for every milestone before the final report: {named} {verb} none yet")]


@refusal(milestones_without_evidence)
def every_milestone_evidenced(project: Any) -> bool:
    return not milestones_without_evidence(project)


@refusal("Add at least one output to the final report")
def final_report_has_outputs(project: Any) -> bool:
    return project.outputs.exists()


@refusal("Enter the lessons learned in the final report")
def final_report_has_lessons(project: Any) -> bool:
    return bool(project.lessons_learned.strip())


@refusal("A payment is waiting for approval: approve it before closing the project")
def no_payment_awaiting_approval(project: Any) -> bool:
    return not project.payments.filter(status=PaymentStatus.PROPOSED).exists()


@refusal("The project is not in delivery, so its reports are closed")
def project_in_delivery(report: Any) -> bool:
    return report.project.state == ProjectState.IN_DELIVERY


def report_missing(report: Any) -> list[Problem]:
    """The report's answers still to give, each on its form field."""
    missing = []
    if not report.progress.strip():
        missing.append(Problem("Enter the progress since the last report", field="progress"))
    if report.spend_to_date is None:
        missing.append(Problem("Enter the spend to date", field="spend_to_date"))
    if report.spend_planned is None:
        missing.append(Problem("Enter the planned spend to date", field="spend_planned"))
    if not report.rag:
        missing.append(Problem("Choose a RAG rating", field="rag"))
    if not report.next_steps.strip():
        missing.append(Problem("Enter the next steps", field="next_steps"))
    return missing


@refusal(report_missing)
def report_is_complete(report: Any) -> bool:
    return not report_missing(report)

"""Projects after the award, built through the real services."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from projects import services
from projects.models import Project


def accepted(world) -> Project:
    """The offer accepted, a certifier chosen and a schedule of two milestones (£30,000 and £50,000)."""
    project = world["project"]
    project = services.offer_accept(project=project, by=world["lead_user"], conditions_confirmed=True)
    services.certifier_appoint(project=project, by=world["lead_user"], user=world["officer"], role_title="S151")
    today = timezone.localdate()
    services.milestone_add(
        project=project, by=world["staff"], title="Discovery done", due_date=today + timedelta(days=45), amount="30000"
    )
    services.milestone_add(
        project=project, by=world["staff"], title="Alpha done", due_date=today + timedelta(days=100), amount="50000"
    )
    return Project.objects.get(pk=project.pk)

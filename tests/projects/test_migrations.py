"""The data migration that gives projects made before budget lines existed a copy of their bid's cost lines."""

from __future__ import annotations

import importlib

from django.apps import apps

from projects.models import BudgetLine

copy_budget_lines = importlib.import_module("projects.migrations.0003_copy_budget_lines")


def test_projects_without_budget_lines_get_a_copy_of_their_bids_cost_lines_and_others_are_left(world):
    project = world["project"]
    BudgetLine.objects.filter(project=project).delete()  # as a project made before budget lines existed
    copy_budget_lines.copy_cost_lines(apps, None)
    lines = [(line.payer, line.description, line.amount) for line in project.budget_lines.order_by("pk")]
    assert lines == [(c.payer, c.description, c.amount) for c in world["bid"].cost_lines.order_by("pk")]
    copy_budget_lines.copy_cost_lines(apps, None)  # a project that has its lines is left alone
    assert project.budget_lines.count() == len(lines)

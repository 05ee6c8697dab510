"""Projects made before budget lines existed get theirs: a copy of their bid's cost lines, as new projects do."""

from django.db import migrations


def copy_cost_lines(apps, schema_editor):
    Project = apps.get_model("projects", "Project")
    BudgetLine = apps.get_model("projects", "BudgetLine")
    CostLine = apps.get_model("bids", "CostLine")
    for project in Project.objects.filter(budget_lines__isnull=True).iterator():
        BudgetLine.objects.bulk_create(
            BudgetLine(
                project_id=project.pk,
                payer=line.payer,
                payer_council_id=line.payer_council_id,
                description=line.description,
                amount=line.amount,
            )
            for line in CostLine.objects.filter(bid_id=project.bid_id).order_by("pk")
        )


class Migration(migrations.Migration):
    dependencies = [("projects", "0002_budget_lines"), ("bids", "0012_bid_round_figures_index")]

    operations = [migrations.RunPython(copy_cost_lines, migrations.RunPython.noop)]

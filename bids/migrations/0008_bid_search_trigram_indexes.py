"""Trigram indexes for the bid table's text search (PostgreSQL only).

The search is `icontains` on the reference, title and summary, which Django writes as
`UPPER(column::text) LIKE UPPER('%text%')`. A GIN index of the trigrams of that same expression answers it
without reading every bid (a bitmap OR of the three indexes). SQLite (the demo) has no trigram indexes and
scans, which is fine at demo sizes; these operations do nothing there.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

COLUMNS = ("reference", "title", "summary")


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "bids_bid_{column}_upper_trgm" ON "bids_bid" '
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f'DROP INDEX IF EXISTS "bids_bid_{column}_upper_trgm"')


class Migration(migrations.Migration):
    dependencies = [
        ("bids", "0007_bid_continues_earlier_phase"),
    ]

    operations = [
        # CREATE EXTENSION IF NOT EXISTS pg_trgm; Django skips it on other databases.
        TrigramExtension(),
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]

"""On PostgreSQL, GiST indexes over each period's date range, per country and per organization.

"Who is in X on day D" then reads only the periods that contain D (a range
index scan), however many periods a country or organization had before:
``MembershipQuerySet.on()`` filters with the same expression on PostgreSQL.
SQLite keeps the btree indexes on (country/organization, start, end).
"""

from django.db import migrations

INDEXES = {
    "membership_country_period": "country_id",
    "membership_organization_period": "organization_id",
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON alliances_membership "
            f"USING gist ({column}, daterange(start_date, end_date, '[]'))"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("alliances", "0006_curators_group")]

    operations = [migrations.RunPython(forwards, backwards)]

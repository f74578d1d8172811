"""On PostgreSQL, make the database itself refuse overlapping periods.

An exclusion constraint over daterange(start, end, '[]') catches overlaps that
bypass model validation (raw SQL, bulk_create, two concurrent writers). SQLite
has no equivalent; there ``Membership.clean()`` is the guard. The constraint is
added with SQL rather than declared in ``Meta`` because Django would otherwise
try to create (and validate) it on SQLite too.
"""

from django.db import migrations

CONSTRAINT = "membership_no_overlapping_periods"


def add_exclusion(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(
        f"ALTER TABLE alliances_membership ADD CONSTRAINT {CONSTRAINT} EXCLUDE USING gist "
        "(country_id WITH =, organization_id WITH =, daterange(start_date, end_date, '[]') WITH &&)"
    )


def drop_exclusion(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE alliances_membership DROP CONSTRAINT IF EXISTS {CONSTRAINT}")


class Migration(migrations.Migration):
    dependencies = [("alliances", "0001_initial")]

    operations = [migrations.RunPython(add_exclusion, drop_exclusion)]

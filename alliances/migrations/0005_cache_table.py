"""Create the database cache table (throttle counters, cached responses) with the schema.

``createcachetable`` is idempotent and does nothing when CACHES is not a
database cache (Redis), so running it from a migration keeps ``migrate`` the
one set-up step on every engine, test databases included.
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("alliances", "0004_audit_triggers")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]

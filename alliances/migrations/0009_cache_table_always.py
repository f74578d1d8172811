"""Create the database cache table whatever CACHES says at migrate time.

0005 ran ``createcachetable``, which only creates tables for the database caches
configured then: a database migrated with ``REDIS_URL`` set had no cache table,
so removing ``REDIS_URL`` later (the database cache is the fallback) made every
request fail. The table is created here unconditionally, with Django's schema
for the database cache; it is a no-op when the table already exists.
"""

from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations

CACHE_TABLE = "alliances_cache"  # the LOCATION of the database cache in config/settings.py


def create_cache_table(apps, schema_editor):
    command = CreateCacheTable()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, CACHE_TABLE, dry_run=False)


class Migration(migrations.Migration):
    dependencies = [("alliances", "0008_data_version_and_append_only_audit")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]

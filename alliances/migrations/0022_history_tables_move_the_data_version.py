"""The data-version and TRUNCATE triggers (alliances/store/integrity.py) on every audited table, the history ones too.

0020 and 0021 alter tables; SQLite rebuilds an altered table and loses its
triggers, so the version triggers are re-created on every audited table, and
added to the two tables 0020 created (whose writes must move the data version
like any other, or a cached answer would outlive them).
"""

from django.db import migrations

from alliances.store import integrity
from alliances.store.audit import AUDITED_TABLES

HISTORY_TABLES = ["alliances_countrycitation", "alliances_succession"]


def forwards(apps, schema_editor):
    columns = {}
    for model in apps.get_app_config("alliances").get_models(include_auto_created=True):
        columns[model._meta.db_table] = [f.column for f in model._meta.concrete_fields]
    for table in [*AUDITED_TABLES, *HISTORY_TABLES]:
        for statement in integrity.version_sql(schema_editor.connection.vendor, table, columns[table]):
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    for table in HISTORY_TABLES:
        if schema_editor.connection.vendor == "postgresql":
            for name in ("alliances_version", "alliances_version_update", "alliances_no_truncate"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        else:
            for op in ("insert", "update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_version_{op}")


class Migration(migrations.Migration):
    dependencies = [("alliances", "0021_source_url_1000")]

    operations = [migrations.RunPython(forwards, backwards)]

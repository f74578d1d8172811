"""Install the audit triggers (see alliances/store/audit.py).

A later migration that adds or removes a column of an audited table must call
``install_triggers`` again, since the SQLite triggers name each column.
"""

from django.db import migrations

from alliances.store.audit import AUDITED_TABLES, install_triggers


def forwards(apps, schema_editor):
    tables = {}
    for model in apps.get_app_config("alliances").get_models(include_auto_created=True):
        tables[model._meta.db_table] = [f.column for f in model._meta.concrete_fields]
    install_triggers(schema_editor, tables.__getitem__)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in AUDITED_TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS alliances_audit ON {table}")
        else:
            for op in ("insert", "update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_audit_{op}")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS alliances_audit()")


class Migration(migrations.Migration):
    dependencies = [("alliances", "0003_auditevent")]

    operations = [migrations.RunPython(forwards, backwards)]

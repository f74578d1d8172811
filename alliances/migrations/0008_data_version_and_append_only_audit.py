"""A commit-ordered data version, and an append-only audit trail (see alliances/store/integrity.py)."""

from django.db import migrations

from alliances.store import integrity


def forwards(apps, schema_editor):
    tables = {}
    for model in apps.get_app_config("alliances").get_models(include_auto_created=True):
        tables[model._meta.db_table] = [f.column for f in model._meta.concrete_fields]
    integrity.install(schema_editor, tables.__getitem__)


def backwards(apps, schema_editor):
    integrity.uninstall(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("alliances", "0007_membership_range_indexes_postgresql")]

    operations = [migrations.RunPython(forwards, backwards)]

"""Create the "curators" group with only the permissions curation needs (see alliances/admin/curators.py)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from alliances.admin import curators


def create_group(apps, schema_editor):
    # On a fresh database permissions are only created after every migration
    # (post_migrate), so create this app's now to be able to grant them.
    app_config = apps.get_app_config("alliances")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    curators.sync_group(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=curators.GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("alliances", "0005_cache_table"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]

from django.conf import settings
from django.db import migrations


def group_create(apps, schema_editor):
    """The data-protection group records clearances and is a second approver for restricted products."""
    apps.get_model("auth", "Group").objects.get_or_create(name=settings.MESH_DATA_PROTECTION_GROUP)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("products", "0016_catalog_order_indexes"),
    ]

    operations = [migrations.RunPython(group_create, migrations.RunPython.noop)]

from django.db import migrations

from jxjy.lib.regions import CITIES


def load_cities(apps, schema_editor):
    City = apps.get_model("accounts", "City")
    for code, name in CITIES:
        City.objects.update_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(load_cities, migrations.RunPython.noop)]

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="membership",
            name="role",
            field=models.CharField(
                choices=[
                    ("formularverwaltung", "Formularverwaltung"),
                    ("sachbearbeitung", "Sachbearbeitung"),
                    ("administration", "Administration"),
                    ("aktenverwaltung", "Aktenverwaltung/Archiv"),
                ],
                max_length=30,
                verbose_name="Rolle",
            ),
        ),
    ]

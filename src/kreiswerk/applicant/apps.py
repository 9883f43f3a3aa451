from django.apps import AppConfig


class ApplicantConfig(AppConfig):
    name = "kreiswerk.applicant"
    verbose_name = "Mein Antrag"

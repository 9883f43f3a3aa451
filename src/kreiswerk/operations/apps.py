from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Running the platform: serving, the worker, health, housekeeping."""

    name = "kreiswerk.operations"

"""A model with every kind of encrypted column, for the kreiswerk.crypto tests only."""

from django.db import models

from kreiswerk.crypto.fields import EncryptedJSONField, EncryptedTextField, EncryptionKeyField


class Dossier(models.Model):
    reference = models.CharField(max_length=40)
    answers = EncryptedJSONField(null=True, blank=True)
    note = EncryptedTextField(blank=True, default="")
    attachment_path = models.CharField(max_length=200, blank=True)
    attachment_key = EncryptionKeyField(null=True, blank=True)

    def __str__(self) -> str:
        return self.reference

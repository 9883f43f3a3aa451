from django.db import models


class BenchRow(models.Model):
    """One row per baseline request: the least a Django view that writes can do."""

    name = models.CharField(max_length=100)
    email = models.EmailField()
    amount = models.IntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name

from django.db import models


class Allowance(models.Model):
    """The uses of one rate limit in one window, counted up atomically; expired rows are purged."""

    scope = models.CharField(max_length=40)
    # An HMAC of what is limited (a client address or an e-mail address is personal data).
    key = models.CharField(max_length=64)
    window = models.BigIntegerField()  # seconds since the epoch // the window's length
    used = models.PositiveIntegerField(default=0)
    until = models.DateTimeField()  # the window's end

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key", "window"], name="allowance_once")]
        indexes = [models.Index(fields=["until"], name="allowance_until_idx")]

    def __str__(self) -> str:
        return f"{self.scope} {self.window}: {self.used}"

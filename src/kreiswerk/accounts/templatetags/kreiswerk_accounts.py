import datetime
import math

from django import template

register = template.Library()


@register.filter
def whole_minutes(value) -> int:
    """A waiting time as whole minutes, rounded up (0 when unknown)."""
    if not isinstance(value, datetime.timedelta):
        return 0
    return max(0, math.ceil(value.total_seconds() / 60))

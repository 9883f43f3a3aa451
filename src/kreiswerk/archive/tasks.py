"""The background job of the Aussonderung: building a hand-over package (it may take minutes)."""

from kreiswerk.jobs import retrying_task

from .models import HandOver
from .services import handover_build


@retrying_task(max_attempts=4)
def archive_handover_build(*, handover_id: str) -> None:
    """Write the package of a hand-over into the outbox; idempotent (a built one is left alone)."""
    handover = HandOver.objects.filter(pk=handover_id).first()
    if handover is not None:
        handover_build(handover=handover)

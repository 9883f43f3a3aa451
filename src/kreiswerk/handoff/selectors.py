"""What staff see of the hand-off: deliveries and destinations of the assistants they manage."""

from __future__ import annotations

from django.db.models import QuerySet

from kreiswerk.assistants.models import Assistant
from kreiswerk.tenancy.models import Role
from kreiswerk.tenancy.permissions import units_for

from .models import Delivery, Destination

STATUS_FILTERS = {
    "fehlgeschlagen": [Delivery.Status.FAILED],
    "offen": [Delivery.Status.PENDING, Delivery.Status.SENDING],
    "uebergeben": [Delivery.Status.DELIVERED],
    "alle": list(Delivery.Status.values),
}


def managed_assistants(user, role: str = Role.FORM_ADMIN) -> QuerySet[Assistant]:
    """Assistants of units where ``user`` holds ``role`` (administration always counts)."""
    return Assistant.objects.filter(unit__in=units_for(user, role))


def delivery_list(user, *, status: str = "fehlgeschlagen") -> QuerySet[Delivery]:
    return (
        # By the unit that received the application: moving an assistant does not hand its history over.
        Delivery.objects.filter(
            submission__unit__in=units_for(user, Role.FORM_ADMIN), status__in=STATUS_FILTERS.get(status, [])
        )
        .select_related("destination", "submission__assistant")
        .order_by("-created_at", "id")
    )


def delivery_get(user, delivery_id) -> Delivery | None:
    return (
        Delivery.objects.filter(pk=delivery_id, submission__unit__in=units_for(user, Role.FORM_ADMIN))
        .select_related("destination__assistant", "submission__assistant", "submission__unit")
        .first()
    )


def destination_list(assistant: Assistant) -> QuerySet[Destination]:
    return assistant.destinations.order_by("name", "pk")

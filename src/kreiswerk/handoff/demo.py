"""Demo data: the Gewerbeamt's functional mailbox receives every Gewerbeanmeldung (mail lands in DATA_DIR/mail)."""

from kreiswerk.assistants.models import Assistant

from .models import Destination
from .services import destination_create

DEMO_DESTINATIONS = [
    ("musterkreis", "gewerbeanmeldung", "Funktionspostfach Gewerbeamt", "gewerbe@musterkreis.example"),
]


def demo_destinations_create() -> int:
    """Create the demo's destinations that are missing; returns how many."""
    created = 0
    for mandant, slug, name, email in DEMO_DESTINATIONS:
        assistant = Assistant.objects.filter(mandant__slug=mandant, slug=slug).first()
        if assistant is None or Destination.objects.filter(assistant=assistant, name=name).exists():
            continue
        destination_create(assistant=assistant, name=name, kind=Destination.Kind.EMAIL, email=email)
        created += 1
    return created

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import Assistant, AssistantVersion


def published_version(assistant: Assistant) -> AssistantVersion | None:
    return assistant.versions.filter(state=AssistantVersion.State.PUBLISHED).first()


def assistants_open(*, audience: str = "public", query: str = "") -> QuerySet[Assistant]:
    """Assistants a citizen can start now: a published version inside the publication window."""
    now = timezone.now()
    qs = (
        Assistant.objects.filter(
            audience=audience,
            versions__state=AssistantVersion.State.PUBLISHED,
        )
        .filter(Q(active_from__isnull=True) | Q(active_from__lte=now))
        .filter(Q(active_until__isnull=True) | Q(active_until__gt=now))
        .select_related("mandant", "unit")
        .distinct()
    )
    for word in query.split()[:8]:
        qs = qs.filter(
            Q(search_text__icontains=word.lower()) | Q(unit__name__icontains=word) | Q(mandant__name__icontains=word)
        )
    return qs.order_by("mandant__name", "title")


def latest_version(assistant: Assistant) -> AssistantVersion | None:
    return assistant.versions.order_by("-number").first()

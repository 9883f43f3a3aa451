from collections.abc import Sequence

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from kreiswerk.tenancy.models import Mandant, OrganisationalUnit

from . import definition as definition_module
from . import fim
from .models import Assistant, AssistantVersion


@transaction.atomic
def assistant_import(
    *,
    data: dict,
    mandant: Mandant,
    unit: OrganisationalUnit,
    user=None,
    note: str = "",
    publish: bool = False,
    import_report: dict | None = None,
) -> AssistantVersion:
    """Store ``data`` as a new draft version (creating the assistant on first import)."""
    parsed = definition_module.parse(data)
    if unit.mandant_id != mandant.pk:
        raise definition_module.DefinitionError(["Die Organisationseinheit gehört nicht zu diesem Mandanten."])
    assistant, created = Assistant.objects.select_for_update().get_or_create(
        mandant=mandant,
        slug=parsed.slug,
        defaults={"unit": unit, "title": definition_module.localized(parsed.title, "de")},
    )
    if not created and assistant.unit_id != unit.pk:
        raise definition_module.DefinitionError(
            [f"Einen Antragsassistenten „{parsed.slug}“ gibt es schon in einer anderen Organisationseinheit."]
        )
    if created:
        # A new assistant takes its metadata from the file; later drafts change it only when published.
        _apply_metadata(assistant, parsed)
        assistant.save()
    number = (assistant.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = AssistantVersion.objects.create(
        assistant=assistant,
        number=number,
        definition=data,
        note=note,
        created_by=user,
        import_report=import_report or {},
    )
    if publish:
        version = version_publish(version=version)
    return version


def fim_definition_build(
    *,
    message: bytes,
    message_name: str = "Datei",
    codelists: Sequence[tuple[bytes, str]] = (),
    slug: str | None = None,
    allow_missing_codelists: bool = False,
) -> tuple[dict, fim.ImportReport]:
    """Read an XDatenfelder message and its genericode lists (``(content, name)``); the draft and its report.

    Raises ``fim.FimError`` (``fim.MissingCodelistsError`` for lists not given) with German problems.
    Nothing is stored: the caller learns the slug first, to choose the Mandant and the unit.
    """
    read = fim.read_message(message, message_name)
    lists = [fim.read_codelist(content, name) for content, name in codelists]
    return fim.build_definition(read, lists, slug=slug or None, allow_missing_codelists=allow_missing_codelists)


def assistant_import_fim(
    *,
    definition: dict,
    report: fim.ImportReport,
    mandant: Mandant,
    unit: OrganisationalUnit,
    user=None,
) -> AssistantVersion:
    """Store a draft built by ``fim_definition_build`` with its report (never published)."""
    return assistant_import(
        data=definition,
        mandant=mandant,
        unit=unit,
        user=user,
        note=report.summary()[:500],
        import_report=report.as_dict(),
    )


def _apply_metadata(assistant: Assistant, parsed: definition_module.Definition) -> None:
    assistant.title = definition_module.localized(parsed.title, "de")
    assistant.title_translations = parsed.title if isinstance(parsed.title, dict) else {"de": parsed.title}
    assistant.audience = parsed.audience
    assistant.search_text = _search_text(parsed)
    publication = parsed.publication
    if "active_from" in publication or "active_until" in publication:
        assistant.active_from = definition_module.parse_moment(publication.get("active_from"))
        assistant.active_until = definition_module.parse_moment(publication.get("active_until"))


def _search_text(parsed: definition_module.Definition) -> str:
    texts = [parsed.slug, *parsed.keywords]
    for value in (parsed.title, parsed.summary):
        if isinstance(value, dict):
            texts.extend(value.values())
        elif value:
            texts.append(value)
    return " ".join(texts).lower()


@transaction.atomic
def version_publish(*, version: AssistantVersion) -> AssistantVersion:
    """Publish ``version``; the previously published one stays valid for drafts begun on it."""
    version = AssistantVersion.objects.select_for_update().get(pk=version.pk)
    if version.state == AssistantVersion.State.PUBLISHED:
        return version
    if version.state != AssistantVersion.State.DRAFT:
        raise ValueError("Only a draft version can be published.")
    AssistantVersion.objects.filter(assistant_id=version.assistant_id, state=AssistantVersion.State.PUBLISHED).update(
        state=AssistantVersion.State.SUPERSEDED
    )
    version.state = AssistantVersion.State.PUBLISHED
    version.published_at = timezone.now()
    version.save(update_fields=["state", "published_at"])
    assistant = version.assistant
    _apply_metadata(assistant, version.parsed)
    assistant.save()
    return version


@transaction.atomic
def assistant_retire(*, assistant: Assistant) -> None:
    """Take the assistant out of service: no new applications on any version."""
    AssistantVersion.objects.filter(
        assistant=assistant,
        state__in=[AssistantVersion.State.PUBLISHED, AssistantVersion.State.SUPERSEDED],
    ).update(state=AssistantVersion.State.RETIRED, retired_at=timezone.now())


def assistant_export(*, version: AssistantVersion) -> dict:
    data = dict(version.definition)
    data.pop("publication", None)
    assistant = version.assistant
    if assistant.active_from or assistant.active_until:
        data["publication"] = {
            "active_from": assistant.active_from.isoformat() if assistant.active_from else None,
            "active_until": assistant.active_until.isoformat() if assistant.active_until else None,
        }
    return data

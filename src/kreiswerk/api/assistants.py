"""Published assistants and the JSON Schema of their submission data."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from ninja import Router

from kreiswerk.assistants.definition import localized
from kreiswerk.assistants.models import AssistantVersion
from kreiswerk.assistants.submission_schema import submission_schema

from .cases import ERRORS
from .problems import Refused, strict_query
from .schemas import AssistantOut

router = Router(tags=["Antragsassistenten"])


def schema_path(version: AssistantVersion) -> str:
    return reverse("api-v1:assistant_schema", kwargs={"slug": version.assistant.slug, "number": version.number})


@router.get(
    "/assistants", response={200: list[AssistantOut], **ERRORS}, url_name="assistant_list", summary="Antragsassistenten"
)
@strict_query
def assistant_list(request):
    """The published assistants of the client's Mandant, each with the schema of its submission data."""
    versions = (
        AssistantVersion.objects.filter(assistant__mandant=request.auth.mandant, state=AssistantVersion.State.PUBLISHED)
        .select_related("assistant__unit")
        .order_by("assistant__slug")
    )
    return [
        {
            "slug": version.assistant.slug,
            "title": str(localized(version.parsed.title, "de")),
            "version": version.number,
            "leika": version.parsed.leika,
            "unit": {"code": version.assistant.unit.code, "name": version.assistant.unit.name},
            "data_schema": schema_path(version),
        }
        for version in versions
    ]


@router.get(
    "/assistants/{slug}/versions/{number}/schema.json",
    response={200: dict, **ERRORS},
    url_name="assistant_schema",
    summary="JSON Schema der Antragsdaten",
)
@strict_query
def assistant_schema(request, slug: str, number: int):
    """JSON Schema (2020-12) of `{"answers", "computed"}` of submissions made with this version."""
    version = (
        AssistantVersion.objects.filter(
            assistant__mandant=request.auth.mandant,
            assistant__slug=slug,
            number=number,
            state__in=[
                AssistantVersion.State.PUBLISHED,
                AssistantVersion.State.SUPERSEDED,
                AssistantVersion.State.RETIRED,
            ],
        )
        .select_related("assistant")
        .first()
    )
    if version is None:
        raise Refused(404, "not_found", _("Diese Version des Antragsassistenten gibt es nicht."))
    return submission_schema(version.parsed, schema_id=request.build_absolute_uri(schema_path(version)))

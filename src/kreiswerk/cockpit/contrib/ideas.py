"""The idea intake: an internal assistant's submissions become ideas in the cockpit.

Staff submit ideas through an ordinary internal assistant (see the demo's
"Digitalisierungsidee"); a destination of this kind on that assistant turns each
submission into an idea, exactly once per submission. The answers are read by
these keys: ``titel`` and ``beschreibung`` (required), ``nutzen`` and ``leika``
(the LeiKa key of the service concerned, optional).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from kreiswerk.handoff.base import Channel, Outcome, Refused
from kreiswerk.handoff.models import Delivery, Destination
from kreiswerk.handoff.package import Package
from kreiswerk.handoff.registry import register
from kreiswerk.tenancy.models import Membership

from ..leika import leika_normalize
from ..models import Service
from ..services import idea_create


def _text(answers: dict, key: str) -> str:
    value = answers.get(key)
    return value.strip() if isinstance(value, str) else ""


@register
class IdeaChannel(Channel):
    kind = Destination.Kind.IDEAS

    def clean(self, destination: Destination) -> dict[str, str]:
        if destination.assistant_id and destination.assistant.audience != "internal":
            return {"kind": _("Ideen kommen nur über einen Assistenten für Beschäftigte herein.")}
        return {}

    def deliver(self, *, delivery: Delivery, package: Package) -> Outcome:
        submission = package.submission
        answers = submission.answers
        title, description = _text(answers, "titel"), _text(answers, "beschreibung")
        if not title or not description:
            raise Refused(_("Der Antrag enthält keine Felder „titel“ und „beschreibung“ für eine Idee."))
        leika = leika_normalize(_text(answers, "leika"))
        service = Service.objects.filter(mandant=submission.mandant, leika_key=leika).first() if leika else None
        author = submission.staff_author
        membership = (
            Membership.objects.filter(user=author).select_related("unit").order_by("unit__path").first()
            if author
            else None
        )
        idea = idea_create(
            mandant=submission.mandant,
            title=title,
            description=description,
            benefit=_text(answers, "nutzen"),
            author=author,
            unit=membership.unit if membership else None,
            service=service,
            submission=submission,
        )
        return Outcome(confirmed=True, detail=idea.label)

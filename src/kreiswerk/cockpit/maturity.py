"""OZG maturity of a service, derived from a checklist of criteria.

The current model rates a service on levels 0–7; the older model (Reifegradmodell 1.1)
used levels 0–4, where level 3 meant "OZG-konform online". Both are derived from the
same answers, so old reports can be compared with new ones. The checklist is data:
each criterion names the level it gates on each model. A level is reached when every
criterion gating it or a lower level is met or does not apply (a service without a fee
needs no online payment); the highest such level is the service's level.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

MODEL_VERSION = "2.0"
MAX_LEVEL = 7
LEGACY_MAX_LEVEL = 4

MET = "ja"
NOT_MET = "nein"
NOT_APPLICABLE = "entfaellt"
ANSWERS = {
    MET: _("erfüllt"),
    NOT_MET: _("nicht erfüllt"),
    NOT_APPLICABLE: _("entfällt"),
}

LEVEL_NAMES = {
    0: _("nicht online"),
    1: _("Information online"),
    2: _("Formular online"),
    3: _("Antrag online"),
    4: _("Bescheid digital"),
    5: _("Nachweise aus Registern"),
    6: _("durchgängig digital bearbeitet"),
    7: _("automatisiert und proaktiv"),
}
LEGACY_LEVEL_NAMES = {
    0: _("Stufe 0: nicht online"),
    1: _("Stufe 1: Information"),
    2: _("Stufe 2: Formular-Download"),
    3: _("Stufe 3: Online-Antrag (OZG-konform)"),
    4: _("Stufe 4: Once-Only"),
}


@dataclass(frozen=True)
class Criterion:
    key: str
    label: str
    level: int
    # None: the older model rated only what citizens see, not the back office or automation.
    legacy_level: int | None
    # Whether "entfällt" is a sensible answer (no fee, no proof to bring, no login needed).
    may_not_apply: bool = False


CRITERIA: tuple[Criterion, ...] = (
    Criterion("information", _("Leistungsbeschreibung mit Zuständigkeit online"), 1, 1),
    Criterion("contact", _("Zuständige Stelle online erreichbar (Kontakt, Termin)"), 1, 1),
    Criterion("form_online", _("Formular online abrufbar oder mit Ausfüllhilfe"), 2, 2),
    Criterion("application_online", _("Antrag vollständig online stellen und absenden"), 3, 3),
    Criterion("identification", _("Online-Identifizierung mit Nutzerkonto (BundID)"), 3, 3, may_not_apply=True),
    Criterion("evidence_upload", _("Nachweise digital einreichen"), 3, 3, may_not_apply=True),
    Criterion("payment_online", _("Gebühren online bezahlen"), 3, 3, may_not_apply=True),
    Criterion("notice_digital", _("Bescheid und Rückfragen digital ins Postfach"), 4, 4),
    Criterion("status_online", _("Bearbeitungsstand online einsehbar"), 4, 4),
    Criterion("once_only", _("Nachweise werden aus Registern abgerufen (Once-Only)"), 5, 4, may_not_apply=True),
    Criterion("backoffice_handoff", _("Übergabe an E-Akte oder Fachverfahren ohne Medienbruch"), 6, None),
    Criterion("backoffice_digital", _("Bearbeitung durchgängig digital bis zum Bescheid"), 6, None),
    Criterion("automated", _("Automatisiert oder proaktiv, ohne Antrag wo möglich"), 7, None),
)
CRITERIA_BY_KEY = {criterion.key: criterion for criterion in CRITERIA}


def _holds(criterion: Criterion, answers: dict[str, str]) -> bool:
    answer = answers.get(criterion.key)
    return answer == MET or (answer == NOT_APPLICABLE and criterion.may_not_apply)


def _level(answers: dict[str, str], *, attribute: str, top: int) -> int:
    level = 0
    for candidate in range(1, top + 1):
        gating = [criterion for criterion in CRITERIA if getattr(criterion, attribute) == candidate]
        if not all(_holds(criterion, answers) for criterion in gating):
            break
        level = candidate
    return level


def maturity_level(answers: dict[str, str]) -> int:
    """The level 0–7 on the current model."""
    return _level(answers, attribute="level", top=MAX_LEVEL)


def legacy_level(answers: dict[str, str]) -> int:
    """The level 0–4 on the older model, for comparison with earlier reports."""
    return _level(answers, attribute="legacy_level", top=LEGACY_MAX_LEVEL)


def answers_clean(raw: dict) -> dict[str, str]:
    """Known criteria with a known answer; "entfällt" only where it can apply."""
    answers = {}
    for key, value in (raw or {}).items():
        criterion = CRITERIA_BY_KEY.get(key)
        if criterion is None or value not in ANSWERS:
            continue
        if value == NOT_APPLICABLE and not criterion.may_not_apply:
            continue
        answers[key] = value
    return answers


def missing_for_next_level(answers: dict[str, str]) -> list[Criterion]:
    """What is still needed for the next level: the gap a project would close."""
    target = maturity_level(answers) + 1
    if target > MAX_LEVEL:
        return []
    return [criterion for criterion in CRITERIA if criterion.level == target and not _holds(criterion, answers)]

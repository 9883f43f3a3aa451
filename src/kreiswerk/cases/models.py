"""E-Akte: the type layer (Aktenplan, Vorgangsart) and the instance layer (Akte → Vorgang → Dokument).

Personal data (names, addresses, notes, file names) is encrypted; searching it
goes through keyed hashes in ``SearchToken``. Figures the inbox filters and
sorts by (status, due date, assignee) are plain columns on ``Case``, kept in
step by the services.
"""

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kreiswerk.assistants.models import Assistant, built_once
from kreiswerk.crypto.fields import EncryptedJSONField, EncryptedTextField, EncryptionKeyField
from kreiswerk.tenancy.models import Mandant, OrganisationalUnit

from . import casetype as casetype_module

DEFAULT_REFERENCE_PATTERN = "{praefix}-{aktenplan}-{jahr}-{nummer:05d}"


class FilingPosition(models.Model):
    """A position of the Aktenplan, e.g. 32.10 Gewerbeangelegenheiten."""

    mandant = models.ForeignKey(Mandant, on_delete=models.PROTECT, related_name="filing_positions")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    number = models.CharField(_("Aktenplankennzeichen"), max_length=40)
    title = models.CharField(_("Bezeichnung"), max_length=200)

    class Meta:
        verbose_name = _("Aktenplanposition")
        verbose_name_plural = _("Aktenplan")
        ordering = ["mandant", "number"]
        constraints = [models.UniqueConstraint(fields=["mandant", "number"], name="filing_position_unique")]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class ReferencePattern(models.Model):
    """How a Mandant's Aktenzeichen are built; see ``references.reference_format``."""

    mandant = models.OneToOneField(Mandant, on_delete=models.CASCADE, related_name="reference_pattern")
    pattern = models.CharField(_("Muster für Aktenzeichen"), max_length=120, default=DEFAULT_REFERENCE_PATTERN)

    class Meta:
        verbose_name = _("Muster für Aktenzeichen")
        verbose_name_plural = _("Muster für Aktenzeichen")

    def __str__(self) -> str:
        return self.pattern


class FileCounter(models.Model):
    """Per Mandant and year, the last running number of an Akte."""

    mandant = models.ForeignKey(Mandant, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveIntegerField()
    value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["mandant", "year"], name="file_counter_unique")]

    def __str__(self) -> str:
        return f"{self.mandant_id}/{self.year}: {self.value}"


class CaseType(models.Model):
    """A Vorgangsart; its rules live in versions."""

    mandant = models.ForeignKey(Mandant, on_delete=models.PROTECT, related_name="case_types")
    unit = models.ForeignKey(OrganisationalUnit, on_delete=models.PROTECT, related_name="case_types")
    key = models.SlugField(_("Kürzel"), max_length=63)
    title = models.CharField(_("Bezeichnung"), max_length=200)
    # Submissions of this assistant open a case of this type (set from the published version).
    assistant = models.ForeignKey(
        Assistant, null=True, blank=True, on_delete=models.SET_NULL, related_name="case_types"
    )
    filing_position = models.ForeignKey(FilingPosition, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("Vorgangsart")
        verbose_name_plural = _("Vorgangsarten")
        ordering = ["title"]
        constraints = [models.UniqueConstraint(fields=["mandant", "key"], name="case_type_key_unique")]

    def __str__(self) -> str:
        return self.title


class CaseTypeVersion(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("Entwurf")
        PUBLISHED = "published", _("veröffentlicht")
        SUPERSEDED = "superseded", _("abgelöst")

    case_type = models.ForeignKey(CaseType, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("Version"))
    state = models.CharField(_("Status"), max_length=12, choices=State.choices, default=State.DRAFT)
    definition = models.JSONField(_("Definition"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Version einer Vorgangsart")
        verbose_name_plural = _("Versionen von Vorgangsarten")
        ordering = ["case_type", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["case_type", "number"], name="case_type_version_unique"),
            models.UniqueConstraint(
                fields=["case_type"], condition=models.Q(state="published"), name="one_published_case_type_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_type} v{self.number}"

    @property
    def parsed(self) -> casetype_module.CaseTypeDefinition:
        return built_once(self, casetype_module.casetype_build)


class Akte(models.Model):
    """The file: holds one or more Vorgänge under one Aktenzeichen."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    mandant = models.ForeignKey(Mandant, on_delete=models.PROTECT, related_name="akten")
    unit = models.ForeignKey(OrganisationalUnit, on_delete=models.PROTECT, related_name="akten")
    filing_position = models.ForeignKey(FilingPosition, null=True, on_delete=models.PROTECT, related_name="akten")
    reference = models.CharField(_("Aktenzeichen"), max_length=80, unique=True)
    title = models.CharField(_("Betreff"), max_length=200)
    opened_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)
    closed_at = models.DateTimeField(_("geschlossen am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Akte")
        verbose_name_plural = _("Akten")
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return self.reference


class Case(models.Model):
    """A Vorgang: one matter processed to a result, usually opened by a submission."""

    class Disposal(models.TextChoices):
        ARCHIVE = "archive", _("dem Archiv übergeben")
        DESTROY = "destroy", _("vernichten")
        OFFER = "offer", _("dem Archiv anbieten")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    akte = models.ForeignKey(Akte, on_delete=models.PROTECT, related_name="cases")
    mandant = models.ForeignKey(Mandant, on_delete=models.PROTECT, related_name="cases")
    unit = models.ForeignKey(OrganisationalUnit, on_delete=models.PROTECT, related_name="cases")
    case_type = models.ForeignKey(CaseType, on_delete=models.PROTECT, related_name="cases")
    version = models.ForeignKey(CaseTypeVersion, on_delete=models.PROTECT, related_name="cases")
    submission = models.OneToOneField(
        "submissions.Submission", null=True, blank=True, on_delete=models.PROTECT, related_name="case"
    )
    reference = models.CharField(_("Aktenzeichen"), max_length=90, unique=True)
    status = models.CharField(_("Status"), max_length=63)
    status_changed_at = models.DateTimeField(_("Status seit"))
    is_open = models.BooleanField(_("offen"), default=True)
    result = models.CharField(_("Ergebnis"), max_length=63, blank=True)
    received_at = models.DateTimeField(_("eingegangen am"))
    closed_at = models.DateTimeField(_("abgeschlossen am"), null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Bearbeitung"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
    )
    documents_complete_on = models.DateField(_("Unterlagen vollständig am"), null=True, blank=True)
    # The earliest running deadline; None while all are suspended or none runs.
    due_on = models.DateField(_("Frist"), null=True, blank=True)
    # due_on or the last date: a non-null sort key keeps keyset paging on one index.
    due_sort = models.DateField(default=datetime.date.max, editable=False)
    retention_until = models.DateField(_("aufzubewahren bis"), null=True, blank=True)
    disposal = models.CharField(_("Aussonderung"), max_length=10, choices=Disposal.choices, blank=True)

    class Meta:
        verbose_name = _("Vorgang")
        verbose_name_plural = _("Vorgänge")
        ordering = ["-received_at"]
        indexes = [
            # The inbox: per unit (or assignee), open first, by deadline or by receipt, id as tie-breaker.
            models.Index(fields=["unit", "is_open", "due_sort", "id"], name="case_inbox_due_idx"),
            models.Index(fields=["unit", "is_open", "received_at", "id"], name="case_inbox_received_idx"),
            models.Index(fields=["assignee", "is_open", "due_sort", "id"], name="case_personal_due_idx"),
            # A filtered inbox (Vorgangsart, status) read in either sort order, one page and stop.
            models.Index(
                fields=["unit", "case_type", "is_open", "status", "received_at", "id"],
                name="case_inbox_type_received_idx",
            ),
            models.Index(
                fields=["unit", "case_type", "is_open", "status", "due_sort", "id"], name="case_inbox_type_due_idx"
            ),
            models.Index(fields=["retention_until"], name="case_retention_idx"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def definition(self) -> casetype_module.CaseTypeDefinition:
        return self.version.parsed

    @property
    def status_definition(self) -> casetype_module.Status | None:
        return self.definition.status(self.status)

    @property
    def result_definition(self) -> casetype_module.Result | None:
        return self.definition.result(self.result) if self.result else None


class Party(models.Model):
    """A Beteiligter: the applicant, a representative or another party, with a way to reach them."""

    class Role(models.TextChoices):
        APPLICANT = "antragsteller", _("Antragsteller/in")
        REPRESENTATIVE = "bevollmaechtigt", _("Bevollmächtigte/r")
        OTHER = "sonstige", _("sonstige Beteiligte")

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-Mail mit Link")
        POST = "post", _("Post")
        MAILBOX = "postfach", _("Bürgerpostfach")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="parties")
    role = models.CharField(_("Rolle"), max_length=20, choices=Role.choices)
    name = EncryptedTextField(_("Name"))
    email = EncryptedTextField(_("E-Mail"), null=True, blank=True)
    phone = EncryptedTextField(_("Telefon"), null=True, blank=True)
    address = EncryptedJSONField(_("Anschrift"), null=True, blank=True)
    channel = models.CharField(_("Kontaktweg"), max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Beteiligte/r")
        verbose_name_plural = _("Beteiligte")
        ordering = ["case", "role", "created_at"]

    def __str__(self) -> str:
        return self.get_role_display()


class SearchToken(models.Model):
    """A keyed hash of one searchable word of a case's personal data (blind index)."""

    class Kind(models.TextChoices):
        NAME = "name", _("Name")
        EMAIL = "email", _("E-Mail")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="search_tokens")
    kind = models.CharField(max_length=5, choices=Kind.choices)
    digest = models.CharField(max_length=64)

    class Meta:
        indexes = [models.Index(fields=["kind", "digest"], name="search_token_idx")]
        constraints = [models.UniqueConstraint(fields=["case", "kind", "digest"], name="search_token_unique")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.digest[:8]}"


class Document(models.Model):
    """A document of a case; its content lives in immutable versions."""

    class Kind(models.TextChoices):
        RECEIPT = "eingangsbestaetigung", _("Eingangsbestätigung")
        ATTACHMENT = "anlage", _("Anlage zum Antrag")
        ANSWER = "nachreichung", _("Nachreichung")
        DECISION = "bescheid", _("Bescheid")
        INTERNAL = "intern", _("Internes Dokument")

    class Direction(models.TextChoices):
        INCOMING = "eingang", pgettext_lazy("document direction", "Eingang")
        OUTGOING = "ausgang", pgettext_lazy("document direction", "Ausgang")
        INTERNAL = "intern", pgettext_lazy("document direction", "Intern")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(_("Art"), max_length=25, choices=Kind.choices)
    direction = models.CharField(_("Richtung"), max_length=10, choices=Direction.choices)
    title = EncryptedTextField(_("Titel"))
    visible_to_applicant = models.BooleanField(_("für Antragsteller sichtbar"), default=False)
    # A Nachreichung: the Rückfrage it answers.
    inquiry = models.ForeignKey("Inquiry", null=True, blank=True, on_delete=models.SET_NULL, related_name="documents")
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Dokument")
        verbose_name_plural = _("Dokumente")
        ordering = ["case", "created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"], name="document_case_idx")]

    def __str__(self) -> str:
        return self.get_kind_display()


class ImmutableRow(Exception):
    pass


class DocumentVersion(models.Model):
    """One content of a document: encrypted file, SHA-256 of the plaintext; never changed afterwards."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("Version"))
    filename = EncryptedTextField(_("Dateiname"))
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    path = models.CharField(max_length=255)
    key = EncryptionKeyField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Dokumentversion")
        verbose_name_plural = _("Dokumentversionen")
        ordering = ["document", "number"]
        constraints = [models.UniqueConstraint(fields=["document", "number"], name="document_version_unique")]

    def __str__(self) -> str:
        return f"{self.document_id} v{self.number}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableRow("A document version is never changed; add a new version.")
        super().save(*args, **kwargs)


class Event(models.Model):
    """One entry of a case's timeline; ``data`` holds codes and ids, never personal data."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Vorgang angelegt")
        STATUS = "status", _("Status geändert")
        ASSIGNED = "assigned", _("Bearbeitung zugewiesen")
        RELEASED = "released", _("Bearbeitung freigegeben")
        NOTE = "note", _("Notiz")
        DOCUMENT = "document", _("Dokument hinzugefügt")
        CHECKLIST = "checklist", _("Prüfschritt erledigt")
        REMINDER = "reminder", _("Wiedervorlage")
        DEADLINE = "deadline", _("Frist")
        CLOSED = "closed", _("Vorgang abgeschlossen")
        COMPLETE = "complete", _("Unterlagen vollständig")
        INQUIRY = "inquiry", _("Rückfrage")
        DECISION = "decision", _("Bescheid")
        APPLICANT_READ = "applicant_read", _("Abruf durch Antragsteller/in")
        HANDED_OFF = "handed_off", _("Im Fachverfahren angekommen")
        REFUND = "refund", _("Erstattung erfasst")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["case", "at", "id"]
        indexes = [models.Index(fields=["case", "at"], name="event_case_idx")]

    def __str__(self) -> str:
        return self.kind


class Note(models.Model):
    """An internal note: never shown to the applicant."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = EncryptedTextField(_("Notiz"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "created_at"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.created_at:%Y-%m-%d}"


class ChecklistCheck(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="checks")
    status = models.CharField(max_length=63)
    item = models.CharField(max_length=63)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "status", "item"], name="checklist_check_unique")]

    def __str__(self) -> str:
        return f"{self.status}.{self.item}"


class Reminder(models.Model):
    """A Wiedervorlage: a date a person chose to look at the case again."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="reminders")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders")
    due_on = models.DateField(_("Wiedervorlage am"))
    reason = EncryptedTextField(_("Anlass"))
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["owner", "done_at", "due_on"], name="reminder_owner_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.due_on}"


class Deadline(models.Model):
    """A Frist derived from the Vorgangsart's rules; suspensions and extensions are its history."""

    class Kind(models.TextChoices):
        PROCESSING = "bearbeitung", _("Bearbeitungsfrist")
        FICTION = "fiktion", _("Genehmigungsfiktion (§ 42a VwVfG)")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="deadlines")
    kind = models.CharField(_("Art"), max_length=12, choices=Kind.choices)
    start = models.DateField(_("Fristbeginn (Ereignistag)"))
    duration = models.CharField(_("Dauer"), max_length=10)
    due_on = models.DateField(_("Fristende"), null=True, blank=True)
    met_at = models.DateTimeField(_("gewahrt am"), null=True, blank=True)

    class Meta:
        ordering = ["case", "kind"]
        constraints = [models.UniqueConstraint(fields=["case", "kind"], name="deadline_unique_per_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.due_on}"


class DeadlineSuspension(models.Model):
    deadline = models.ForeignKey(Deadline, on_delete=models.CASCADE, related_name="suspensions")
    start = models.DateField(_("gehemmt ab"))
    end = models.DateField(_("gehemmt bis"), null=True, blank=True)
    reason = models.CharField(_("Grund"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["deadline", "start", "id"]

    def __str__(self) -> str:
        return f"{self.start}–{self.end or '…'}"


class DeadlineExtension(models.Model):
    deadline = models.ForeignKey(Deadline, on_delete=models.CASCADE, related_name="extensions")
    duration = models.CharField(_("Verlängerung um"), max_length=10)
    reason = EncryptedTextField(_("Begründung"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["deadline", "created_at", "id"]

    def __str__(self) -> str:
        return self.duration


class Inquiry(models.Model):
    """A Rückfrage: the caseworker asks the applicant, who answers through the status link."""

    class State(models.TextChoices):
        OPEN = "offen", _("offen")
        ANSWERED = "beantwortet", _("beantwortet")
        WITHDRAWN = "zurueckgezogen", _("zurückgezogen")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="inquiries")
    question = EncryptedTextField(_("Frage"))
    allows_upload = models.BooleanField(_("Dokumente können hochgeladen werden"), default=True)
    answer_by = models.DateField(_("Antwort erbeten bis"))
    # Whether the processing deadline stood still while this Rückfrage was open.
    suspends = models.BooleanField(_("hemmt die Bearbeitungsfrist"), default=True)
    state = models.CharField(_("Stand"), max_length=15, choices=State.choices, default=State.OPEN)
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    asked_at = models.DateTimeField(_("gestellt am"), auto_now_add=True)
    answer = EncryptedTextField(_("Antwort"), null=True, blank=True)
    answered_at = models.DateTimeField(_("beantwortet am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Rückfrage")
        verbose_name_plural = _("Rückfragen")
        ordering = ["case", "asked_at", "id"]
        indexes = [models.Index(fields=["case", "state"], name="inquiry_case_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.asked_at:%Y-%m-%d}"


class Decision(models.Model):
    """A Bescheid: drafted from the Vorgangsart's template, co-signed where required, then made available.

    Delivered by provision for retrieval (§ 41 Abs. 2a VwVfG): it counts as announced
    the day after the applicant first retrieves it; unretrieved after ten days the
    provision ends and it has to be provided again or sent another way.
    """

    class State(models.TextChoices):
        DRAFT = "entwurf", _("Entwurf")
        COSIGN = "mitzeichnung", _("zur Mitzeichnung")
        APPROVED = "freigegeben", _("freigegeben")
        DELIVERED = "bereitgestellt", _("bereitgestellt")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="decisions")
    result = models.CharField(_("Ergebnis"), max_length=63)
    subject = EncryptedTextField(_("Betreff"))
    body = EncryptedTextField(_("Text"))
    state = models.CharField(_("Stand"), max_length=15, choices=State.choices, default=State.DRAFT)
    # The rendered PDF/A; each edit adds a version, the co-signer approves the latest one.
    document = models.OneToOneField(Document, null=True, blank=True, on_delete=models.CASCADE, related_name="decision")
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    drafted_at = models.DateTimeField(_("entworfen am"), auto_now_add=True)
    cosigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cosigned_at = models.DateTimeField(_("mitgezeichnet am"), null=True, blank=True)
    cosigned_sha256 = models.CharField(max_length=64, blank=True)
    delivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    delivered_at = models.DateTimeField(_("bereitgestellt am"), null=True, blank=True)
    retrieved_at = models.DateTimeField(_("abgerufen am"), null=True, blank=True)
    announced_on = models.DateField(_("bekanntgegeben am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Bescheid")
        verbose_name_plural = _("Bescheide")
        ordering = ["case", "drafted_at", "id"]
        constraints = [
            # One Bescheid in the making at a time; delivered ones stay beside it.
            models.UniqueConstraint(
                fields=["case"], condition=~models.Q(state="bereitgestellt"), name="one_decision_in_progress"
            )
        ]
        # The co-signers' list on the inbox: few rows in that state at any time.
        indexes = [
            models.Index(fields=["drafted_at"], condition=models.Q(state="mitzeichnung"), name="decision_cosign_idx")
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_state_display()}"

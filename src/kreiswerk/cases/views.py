"""The caseworkers' E-Akte: inbox, case view, actions and document downloads.

Every view finds its case through ``selectors.cases_visible_to`` (404 outside the
user's units) and writes an audit entry for what it showed or changed. State
changes only by POST, each through one service; a refused action comes back
as a German message on the case page.
"""

import datetime
import html
import logging

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from kreiswerk.accounts.decorators import staff_required
from kreiswerk.assistants.definition import localized
from kreiswerk.audit.services import audit_record
from kreiswerk.crypto.envelope import DecryptionError
from kreiswerk.crypto.files import open_decrypted
from kreiswerk.identity.models import TrustLevel
from kreiswerk.payments.models import Payment, Status
from kreiswerk.payments.services import RefundRefused, refund_record
from kreiswerk.submissions.export import CONTENT_TYPES, ascii_filename
from kreiswerk.submissions.links import status_url
from kreiswerk.submissions.models import Submission
from kreiswerk.tenancy.models import Role

from . import decisions, forms, inquiries, selectors, services
from .deadlines import traffic_light
from .export import MAX_ROWS, TooManyCases, case_list_xlsx
from .models import (
    Case,
    DeadlineExtension,
    DeadlineSuspension,
    Decision,
    Document,
    DocumentVersion,
    Event,
    Reminder,
)

logger = logging.getLogger(__name__)

# Shown in the browser rather than downloaded; everything else is a download.
PREVIEW_TYPES = {"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"}


def _visible_case(request, case_id) -> Case:
    return get_object_or_404(selectors.case_detail_queryset(request.user), pk=case_id)


@never_cache
@require_GET
@staff_required(role=Role.CASEWORKER)
def inbox(request):
    form = forms.InboxForm(request.GET or None, user=request.user)
    # Unbound (first visit): the defaults; bound but invalid: no list, only the messages.
    selection = form.selection() if form.is_valid() else None if form.is_bound else selectors.InboxFilter()
    cursor = request.GET.get("nach", "")
    page = (
        selectors.inbox_page(request.user, selection, cursor=cursor, columns=selectors.with_inbox_columns)
        if selection
        else None
    )
    rows = []
    if page is not None:
        audit_record(action="case.list", request=request, details={"cases": [str(case.pk) for case in page.cases]})
        rows = _inbox_rows(page.cases)
    return render(
        request,
        "cases/inbox.html",
        {
            "form": form,
            "rows": rows,
            "next_cursor": page.next_cursor if page else None,
            "searched": bool(request.GET),
            "awaiting_cosign": list(selectors.decisions_awaiting_cosign(request.user)[:20]),
        },
    )


# Long lists are written here, one ``_html`` per row, rather than by the template engine: a table
# row of the template cost some 500 function calls (a variable node alone about 30), ``_html`` a
# tenth of that. The markup is the one the templates had.
LIGHTS = {
    "red": ("danger", gettext_lazy("überschritten")),
    "amber": ("warning", gettext_lazy("endet bald")),
    "green": ("success", gettext_lazy("läuft")),
    "paused": ("info", gettext_lazy("ruht")),
}
INBOX_ROW = """<tr class="kern-table__row">
        <th scope="row" class="kern-table__cell"><a class="kern-link" href="{url}">{reference}</a></th>
        <td class="kern-table__cell">{case_type}</td>
        <td class="kern-table__cell">{applicant}</td>
        <td class="kern-table__cell">{status}{closed}</td>
        <td class="kern-table__cell">{received}</td>
        <td class="kern-table__cell">{due}</td>
        <td class="kern-table__cell">{assignee}</td>
      </tr>"""


def _html(template: str, *args, **kwargs) -> SafeString:
    """``format_html`` for the rows of long lists: the same escaping (Django's ``escape`` is
    ``html.escape`` behind a wrapper for lazy strings), at half the cost per value."""

    def escaped(value) -> str:
        return value.__html__() if hasattr(value, "__html__") else html.escape(str(value))

    return mark_safe(  # noqa: S308  # nosec B308, B703 - every value escaped above
        template.format(*map(escaped, args), **{name: escaped(value) for name, value in kwargs.items()})
    )


def _badges() -> dict[str, str]:
    """The traffic lights as KERN badges, translated once per page."""
    return {
        light: format_html(
            '<span class="kern-badge kern-badge--{}"><span class="kern-label kern-label--small">{}</span></span>',
            kind,
            label,
        )
        for light, (kind, label) in LIGHTS.items()
    }


def _inbox_rows(cases: list[Case]) -> list[dict]:
    """Each case with its row as HTML: one URL pattern reversed, dates by strftime."""
    marker = "00000000-0000-0000-0000-000000000000"
    pattern = reverse("cases:detail", kwargs={"case_id": marker})
    today = timezone.localdate()
    badges = _badges()
    closed, unassigned = f" ({_('abgeschlossen')})", _("nicht zugewiesen")
    rows = []
    for case in cases:
        applicant = case.applicants[0].name if case.applicants else ""
        status = case.status_definition
        due = ""
        if case.due_on:
            light = traffic_light(due=case.due_on, today=today) if case.is_open else ""
            due = _html("{} {}", case.due_on.strftime("%d.%m.%Y"), badges.get(light, ""))
        html_row = _html(
            INBOX_ROW,
            url=pattern.replace(marker, str(case.pk)),
            reference=case.reference,
            case_type=case.case_type.title,
            applicant=applicant or "–",
            status=status.title if status else case.status,
            closed="" if case.is_open else closed,
            received=timezone.localtime(case.received_at).strftime("%d.%m.%Y"),
            due=due or "–",
            assignee=_person(case.assignee) or unassigned,
        )
        rows.append({"case": case, "html": html_row})
    return rows


@require_GET
@staff_required(role=Role.CASEWORKER)
def inbox_export(request):
    form = forms.InboxForm(request.GET or None, user=request.user)
    if form.is_bound and not form.is_valid():
        messages.error(request, _("Bitte prüfen Sie zuerst die Auswahl."))
        return redirect("cases:inbox")
    selection = form.selection() if form.is_bound else selectors.InboxFilter()
    cases = selectors.inbox_queryset(request.user, selection).order_by(*selectors.inbox_order(selection))
    try:
        content, count = case_list_xlsx(cases)
    except TooManyCases:
        messages.error(
            request,
            _("Die Auswahl umfasst mehr als %(max)s Vorgänge. Bitte schränken Sie sie für den Export ein.")
            % {"max": f"{MAX_ROWS:n}"},
        )
        return redirect("cases:inbox")
    audit_record(action="case.export", request=request, details={"count": count})
    response = HttpResponse(content, content_type=CONTENT_TYPES["xlsx"])
    stamp = timezone.localtime().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="Vorgaenge-{stamp}.xlsx"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _deadline_rows(case: Case, today) -> list[dict]:
    # Explicit orders: the models' default orders start with the parent and join its table for that.
    suspensions = Prefetch("suspensions", DeadlineSuspension.objects.order_by("deadline_id", "start", "id"))
    extensions = Prefetch("extensions", DeadlineExtension.objects.order_by("deadline_id", "created_at", "id"))
    badges = _badges()
    rows = []
    for deadline in case.deadlines.order_by("kind").prefetch_related(suspensions, extensions):
        paused = deadline.due_on is None and deadline.met_at is None
        rows.append(
            {
                "deadline": deadline,
                "badge": "" if deadline.met_at else badges[traffic_light(due=deadline.due_on, today=today)],
                "paused": paused,
                "suspensions": list(deadline.suspensions.all()),
                "extensions": list(deadline.extensions.all()),
            }
        )
    return rows


def _person(user) -> str:
    return (user.get_full_name() or user.username) if user else ""


def _name(first_name: str, last_name: str, username: str) -> str:
    """``_person`` of a user read as values (Django's get_full_name, or the username)."""
    return f"{first_name} {last_name}".strip() or username


# Timeline texts of events that carry an action; other kinds show their label.
ACTION_TEXTS = {
    (Event.Kind.INQUIRY, "asked"): gettext_lazy("Rückfrage gestellt"),
    (Event.Kind.INQUIRY, "answered"): gettext_lazy("Rückfrage beantwortet"),
    (Event.Kind.INQUIRY, "withdrawn"): gettext_lazy("Rückfrage zurückgezogen"),
    (Event.Kind.DECISION, "drafted"): gettext_lazy("Bescheid entworfen"),
    (Event.Kind.DECISION, "edited"): gettext_lazy("Bescheid überarbeitet"),
    (Event.Kind.DECISION, "submitted"): gettext_lazy("Bescheid zur Mitzeichnung vorgelegt"),
    (Event.Kind.DECISION, "cosigned"): gettext_lazy("Bescheid mitgezeichnet"),
    (Event.Kind.DECISION, "returned"): gettext_lazy("Bescheid zur Überarbeitung zurückgegeben"),
    (Event.Kind.DECISION, "delivered"): gettext_lazy("Bescheid zum Abruf bereitgestellt"),
    (Event.Kind.DECISION, "redelivered"): gettext_lazy("Bescheid erneut bereitgestellt"),
    (Event.Kind.DECISION, "retrieved"): gettext_lazy("Bescheid von der antragstellenden Person abgerufen"),
    (Event.Kind.DEADLINE, "suspended"): gettext_lazy("Fristen gehemmt"),
    (Event.Kind.DEADLINE, "resumed"): gettext_lazy("Fristen laufen wieder"),
    (Event.Kind.DEADLINE, "extended"): gettext_lazy("Frist verlängert"),
    (Event.Kind.DEADLINE, None): gettext_lazy("Frist geändert"),
    (Event.Kind.REMINDER, None): gettext_lazy("Wiedervorlage eingetragen"),
}


def _event_text(kind: str, data: dict, definition, names: dict, texts: dict) -> str:
    """What happened, in German; ``texts`` caches the fixed texts for one page."""
    data = data or {}
    if kind == Event.Kind.STATUS:
        status = definition.status(data.get("status", ""))
        return _("Status geändert auf „%(status)s“") % {"status": status.title if status else data.get("status")}
    if kind == Event.Kind.ASSIGNED:
        return _("Zugewiesen an %(name)s") % {"name": names.get(data.get("assignee"), "?")}
    if kind == Event.Kind.CHECKLIST:
        status = definition.status(data.get("status", ""))
        item = next((entry for entry in (status.checklist if status else ()) if entry.key == data.get("item")), None)
        return _("Prüfschritt „%(item)s“ erledigt") % {"item": item.title if item else data.get("item")}
    if kind == Event.Kind.CLOSED:
        result = definition.result(data.get("result", ""))
        return _("Vorgang abgeschlossen: %(result)s") % {"result": result.title if result else data.get("result")}
    if kind == Event.Kind.REFUND:
        amount = data.get("amount", "?").replace(".", ",")
        return _("Erstattung über %(amount)s € erfasst") % {"amount": amount}
    if kind == Event.Kind.HANDED_OFF:
        return _("Im Fachverfahren angekommen: %(destination)s") % {"destination": data.get("destination", "?")}
    key = (kind, data.get("action"))
    if key not in texts:
        text = ACTION_TEXTS.get(key) or ACTION_TEXTS.get((kind, None)) or Event.Kind(kind).label
        texts[key] = str(text)
    return texts[key]


def _moment(value) -> str:
    # Long lists format many dates: strftime is much cheaper than the date filter per row.
    return timezone.localtime(value).strftime("%d.%m.%Y %H:%M")


TIMELINE_ITEM = '<li><p class="kern-body"><strong>{}</strong> – {}{}</p></li>'


def _timeline(case: Case, definition, people: list) -> list[str]:
    """The last 200 events as HTML; ``people`` (the unit's caseworkers) name most assignees without a query."""
    columns = ("at", "kind", "data", "actor__first_name", "actor__last_name", "actor__username")
    events = list(case.events.order_by("-at", "-id").values_list(*columns)[:200])
    names = {user.pk: _person(user) for user in people}
    assignee_ids = {(data or {}).get("assignee") for _at, kind, data, *_actor in events if kind == Event.Kind.ASSIGNED}
    missing = assignee_ids - set(names) - {None}
    if missing:
        names.update({user.pk: _person(user) for user in get_user_model().objects.filter(pk__in=missing)})
    texts: dict = {}
    return [
        _html(
            TIMELINE_ITEM,
            _moment(at),
            _event_text(kind, data, definition, names, texts),
            _html(" ({})", _name(*actor)) if actor[2] is not None else "",
        )
        for at, kind, data, *actor in events
    ]


DOCUMENT_ROW = (
    '<tr class="kern-table__row">\n'
    '        <th scope="row" class="kern-table__cell">{title}<br>\n'
    "          {preview}\n"
    '          <a class="kern-link" href="{url}" download>{download}'
    '<span class="kern-sr-only"> {filename}</span></a> ({size})</th>\n'
    '        <td class="kern-table__cell">{kind}</td>\n'
    '        <td class="kern-table__cell">{number}</td>\n'
    '        <td class="kern-table__cell">{created}</td>\n'
    '        <td class="kern-table__cell"><code title="{sha256}">{sha256_start}…</code></td>\n'
    "      </tr>"
)
DOCUMENT_PREVIEW = (
    '<a class="kern-link" href="{}?ansicht=1" target="_blank" rel="noopener">{}'
    '<span class="kern-sr-only"> {}</span></a> · '
)


def _document_rows(case: Case) -> list[str]:
    """Every version of every document as HTML: one URL pattern reversed, not one per row."""
    marker = "00000000-0000-0000-0000-000000000000"
    pattern = reverse("cases:document", kwargs={"case_id": case.pk, "version_id": marker})
    kinds = {key: str(label) for key, label in Document.Kind.choices}
    columns = ("pk", "number", "filename", "content_type", "size", "sha256", "created_at", "document__title")
    versions = (
        DocumentVersion.objects.filter(document__case=case)
        .order_by("document__created_at", "document_id", "number")
        .values_list(*columns, "document__kind")  # values: no model objects for 50 rows and their documents
    )
    view, download = _("Ansehen"), _("Herunterladen")
    rows = []
    for pk, number, filename, content_type, size, sha256, created_at, title, kind in versions:
        url = pattern.replace(marker, str(pk))
        rows.append(
            _html(
                DOCUMENT_ROW,
                title=title,
                preview=_html(DOCUMENT_PREVIEW, url, view, filename) if content_type in PREVIEW_TYPES else "",
                url=url,
                download=download,
                filename=filename,
                size=filesizeformat(size),
                kind=kinds.get(kind, kind),
                number=number,
                created=_moment(created_at),
                sha256=sha256,
                sha256_start=sha256[:12],
            )
        )
    return rows


def _answers(case: Case) -> list[dict]:
    from kreiswerk.submissions.receipt import answer_sections

    if case.submission_id is None:
        return []
    # The version's definition is built once per process (``built_once``): its JSON is not read.
    submission = Submission.objects.select_related("version").defer("version__definition").get(pk=case.submission_id)
    definition = submission.version.parsed
    files = {}
    if _has_files(element for step in definition.steps for element in step.elements):
        files = {str(pk): filename for pk, filename in submission.attachments.values_list("pk", "filename")}
    return answer_sections(definition, submission.answers, files=files)


def _identity_level(case):
    """How the applicant logged in (a BundID level), without loading the encrypted application."""
    if case.submission_id is None:
        return None
    level = Submission.objects.filter(pk=case.submission_id).values_list("identity_level", flat=True).first()
    return TrustLevel(level).label if level else None


def _has_files(elements) -> bool:
    return any(element.type == "file" or _has_files(element.elements) for element in elements)


@never_cache
@require_GET
@staff_required(role=Role.CASEWORKER)
def case_detail(request, case_id):
    case = _visible_case(request, case_id)
    audit_record(action="case.read", target=case, request=request)
    definition = case.definition
    today = timezone.localdate()
    status = case.status_definition
    checklist = status.checklist if status else ()
    checked = set(case.checks.filter(status=case.status).values_list("item", flat=True)) if checklist else set()
    # Only the columns the page shows (no Bescheid text): each column costs compiling, fetching, converting.
    # "case" stays: rows read through case.<related> are tied to the case by it.
    names = selectors.NAME_FIELDS
    shown = ("case", "subject", "state", "delivered_at", "retrieved_at", "announced_on", "cosigned_by")
    decision_rows = [
        {"decision": item, "provision_ends_on": decisions.provision_ends_on(item)}
        for item in case.decisions.select_related("cosigned_by")
        .only(*shown, *(f"cosigned_by__{name}" for name in names))
        .order_by("drafted_at", "id")
    ]
    # The unit's caseworkers: the choices of the assign form (open cases only) and most names in the timeline.
    people = forms.assignees(case) if case.is_open else []
    return render(
        request,
        "cases/detail.html",
        {
            "case": case,
            "definition": definition,
            "status": status,
            "checklist": [{"item": item, "done": item.key in checked} for item in checklist],
            "next_statuses": definition.next_statuses(case.status) if case.is_open else [],
            "can_close": case.is_open and status is not None and status.final,
            "parties": list(case.parties.order_by("role", "created_at")),
            "identity_level": _identity_level(case),
            "documents": _document_rows(case),
            "timeline": _timeline(case, definition, people),
            "notes": list(
                case.notes.select_related("author")
                .only("case", "text", "created_at", "author", *(f"author__{name}" for name in names))
                .order_by("-created_at")
            ),
            "reminders": list(
                case.reminders.filter(done_at=None)
                .select_related("owner")
                .only("case", "due_on", "reason", "owner", *(f"owner__{name}" for name in names))
            ),
            "deadlines": _deadline_rows(case, today),
            "steps": _answers(case),
            "assign_form": forms.AssignForm(case=case, people=people) if case.is_open else None,
            "note_form": forms.NoteForm(),
            **_fee_context(case),
            "reminder_form": forms.ReminderForm(),
            "complete_form": forms.CompleteForm(initial={"on": today}),
            "extend_form": forms.ExtendForm(),
            "inquiries": list(case.inquiries.annotate(document_count=Count("documents")).order_by("asked_at", "id")),
            "inquiry_form": forms.InquiryForm(initial={"answer_by": today + datetime.timedelta(days=14)}),
            "decisions": decision_rows,
            "decision_in_progress": any(row["decision"].state != Decision.State.DELIVERED for row in decision_rows),
            "status_link": status_url(case.submission_id) if case.submission_id else "",
            "title": localized(definition.title),
        },
    )


# --- actions ----------------------------------------------------------------------------------


def _assign(request, case):
    form = forms.AssignForm(request.POST, case=case)
    if not form.is_valid():
        raise services.CaseActionRefused(_("Bitte wählen Sie eine Person aus der zuständigen Einheit."))
    services.case_assign(case=case, assignee=form.cleaned_data["assignee"], actor=request.user)
    return _("Der Vorgang ist zugewiesen.")


def _claim(request, case):
    services.case_assign(case=case, assignee=request.user, actor=request.user)
    return _("Sie bearbeiten diesen Vorgang jetzt.")


def _release(request, case):
    services.case_release(case=case, actor=request.user)
    return _("Der Vorgang liegt wieder im Team-Eingang.")


def _status(request, case):
    form = forms.StatusForm(request.POST)
    if not form.is_valid():
        raise services.CaseActionRefused(_("Bitte wählen Sie einen Status."))
    services.case_status_change(case=case, status=form.cleaned_data["status"], actor=request.user)
    return _("Der Status ist geändert.")


def _checklist(request, case):
    form = forms.ChecklistForm(request.POST)
    if not form.is_valid():
        raise services.CaseActionRefused(_("Diesen Prüfschritt gibt es im aktuellen Status nicht."))
    services.checklist_check(case=case, item=form.cleaned_data["item"], actor=request.user)
    return _("Der Prüfschritt ist erledigt.")


def _note(request, case):
    form = forms.NoteForm(request.POST)
    if not form.is_valid():
        raise services.CaseActionRefused(_("Bitte geben Sie eine Notiz mit 1 bis 5000 Zeichen ein."))
    services.note_add(case=case, author=request.user, text=form.cleaned_data["text"])
    return _("Die Notiz ist gespeichert.")


def _reminder(request, case):
    form = forms.ReminderForm(request.POST)
    if not form.is_valid():
        raise services.CaseActionRefused(_("Bitte geben Sie ein gültiges Datum und einen Anlass an."))
    services.reminder_set(
        case=case, owner=request.user, due_on=form.cleaned_data["due_on"], reason=form.cleaned_data["reason"]
    )
    return _("Die Wiedervorlage ist eingetragen.")


def _reminder_done(request, case):
    reminder_id = request.POST.get("reminder", "")
    reminder = Reminder.objects.filter(case=case, pk=reminder_id).first() if reminder_id.isdigit() else None
    if reminder is None:
        raise services.CaseActionRefused(_("Diese Wiedervorlage gibt es nicht."))
    services.reminder_done(reminder=reminder, user=request.user)
    return _("Die Wiedervorlage ist erledigt.")


def _complete(request, case):
    form = forms.CompleteForm(request.POST)
    if not form.is_valid():
        raise services.CaseActionRefused(_("Bitte geben Sie ein gültiges Datum an."))
    services.documents_complete(case=case, on=form.cleaned_data["on"], actor=request.user)
    return _("Die Vollständigkeit der Unterlagen ist vermerkt.")


def _extend(request, case):
    form = forms.ExtendForm(request.POST)
    if not form.is_valid():
        raise services.CaseActionRefused(_("Bitte wählen Sie Frist und Dauer und begründen Sie die Verlängerung."))
    data = form.cleaned_data
    services.deadline_extend(
        case=case, kind=data["kind"], duration=data["duration"], reason=data["reason"], actor=request.user
    )
    return _("Die Frist ist verlängert.")


def _close(request, case):
    form = forms.CloseForm(request.POST)
    if not form.is_valid():
        raise services.CaseActionRefused(_("Bitte wählen Sie ein Ergebnis."))
    services.case_close(case=case, result=form.cleaned_data["result"], actor=request.user)
    return _("Der Vorgang ist abgeschlossen.")


def _inquiry(request, case):
    form = forms.InquiryForm(request.POST)
    if not form.is_valid():
        raise services.CaseActionRefused(_("Bitte formulieren Sie die Rückfrage und geben Sie ein gültiges Datum an."))
    data = form.cleaned_data
    inquiries.inquiry_ask(
        case=case,
        question=data["question"],
        answer_by=data["answer_by"],
        allows_upload=data["allows_upload"],
        suspends=data["suspends"],
        actor=request.user,
    )
    return _("Die Rückfrage ist gestellt. Die antragstellende Person wird benachrichtigt.")


def _inquiry_withdraw(request, case):
    form = forms.TargetForm(request.POST)
    inquiry = case.inquiries.filter(pk=form.cleaned_data["target"]).first() if form.is_valid() else None
    if inquiry is None:
        raise services.CaseActionRefused(_("Diese Rückfrage gibt es nicht."))
    inquiries.inquiry_withdraw(inquiry=inquiry, actor=request.user)
    return _("Die Rückfrage ist zurückgezogen.")


def _current_decision(case) -> Decision:
    decision = case.decisions.exclude(state=Decision.State.DELIVERED).select_related("document").first()
    if decision is None:
        raise services.CaseActionRefused(_("Es gibt keinen Bescheid in Arbeit."))
    return decision


def _decision_draft(request, case):
    form = forms.DecisionDraftForm(request.POST)
    if not form.is_valid():
        raise services.CaseActionRefused(_("Bitte wählen Sie ein Ergebnis."))
    decisions.decision_draft(case=case, result=form.cleaned_data["result"], actor=request.user)
    return _("Der Entwurf des Bescheids ist angelegt.")


def _decision_edit(request, case):
    decision = _current_decision(case)
    form = forms.DecisionEditForm(request.POST, definition=case.definition)
    if not form.is_valid():
        raise services.CaseActionRefused(_("Bitte füllen Sie Ergebnis, Betreff und Text des Bescheids aus."))
    data = form.cleaned_data
    decisions.decision_edit(
        decision=decision, result=data["result"], subject=data["subject"], body=data["body"], actor=request.user
    )
    return _("Der Bescheid ist gespeichert und neu erstellt.")


def _decision_submit(request, case):
    decisions.decision_submit(decision=_current_decision(case), actor=request.user)
    return _("Der Bescheid liegt zur Mitzeichnung vor.")


def _decision_cosign(request, case):
    decisions.decision_cosign(decision=_current_decision(case), actor=request.user)
    return _("Sie haben den Bescheid mitgezeichnet.")


def _decision_return(request, case):
    form = forms.DecisionReturnForm(request.POST)
    if not form.is_valid():
        raise services.CaseActionRefused(_("Bitte schreiben Sie, was am Bescheid zu ändern ist."))
    decisions.decision_return(decision=_current_decision(case), reason=form.cleaned_data["reason"], actor=request.user)
    return _("Der Bescheid ist zur Überarbeitung zurückgegeben.")


def _decision_deliver(request, case):
    decisions.decision_deliver(decision=_current_decision(case), actor=request.user)
    return _("Der Bescheid steht für die antragstellende Person zum Abruf bereit; sie wird per E-Mail benachrichtigt.")


def _decision_redeliver(request, case):
    form = forms.TargetForm(request.POST)
    decision = case.decisions.filter(pk=form.cleaned_data["target"]).first() if form.is_valid() else None
    if decision is None:
        raise services.CaseActionRefused(_("Diesen Bescheid gibt es nicht."))
    decisions.decision_redeliver(decision=decision, actor=request.user)
    return _("Der Bescheid steht erneut zum Abruf bereit.")


def _fee_context(case) -> dict:
    """The application's payments with their refunds, and the one a refund is recorded on next.

    A double payment comes first, as long as some of it is left: it is the one to pay back.
    """
    if case.submission_id is None:
        return {"payments": []}
    payments = list(Payment.objects.filter(submission_id=case.submission_id).prefetch_related("refunds"))
    order = {Status.DUPLICATE: 0, Status.BOOKED: 1}
    candidates = sorted((payment for payment in payments if payment.status in order), key=lambda p: order[p.status])
    refundable = next((payment for payment in candidates if payment.refundable_amount > 0), None)
    return {"payments": payments, "refundable": refundable, "refund_form": forms.RefundForm()}


def _refund(request, case):
    form = forms.RefundForm(request.POST)
    if not form.is_valid() or case.submission_id is None:
        raise services.CaseActionRefused(_("Bitte geben Sie Betrag und Grund der Erstattung an."))
    payment = Payment.objects.filter(pk=form.cleaned_data["payment"], submission_id=case.submission_id).first()
    if payment is None:
        raise services.CaseActionRefused(_("Diese Zahlung gibt es nicht."))
    try:
        refund = refund_record(
            payment=payment, amount=form.cleaned_data["amount"], reason=form.cleaned_data["reason"], actor=request.user
        )
    except RefundRefused as refusal:
        raise services.CaseActionRefused(str(refusal)) from None
    services.event_add(case, Event.Kind.REFUND, request.user, amount=str(refund.amount), payment=str(payment.pk))
    return _("Die Erstattung ist erfasst; die Kreiskasse zahlt sie aus.")


ACTIONS = {
    "uebernehmen": _claim,
    "zuweisen": _assign,
    "freigeben": _release,
    "status": _status,
    "pruefschritt": _checklist,
    "notiz": _note,
    "wiedervorlage": _reminder,
    "wiedervorlage-erledigt": _reminder_done,
    "vollstaendig": _complete,
    "frist-verlaengern": _extend,
    "abschliessen": _close,
    "rueckfrage": _inquiry,
    "rueckfrage-zurueckziehen": _inquiry_withdraw,
    "bescheid-entwerfen": _decision_draft,
    "bescheid-speichern": _decision_edit,
    "bescheid-vorlegen": _decision_submit,
    "bescheid-mitzeichnen": _decision_cosign,
    "bescheid-zurueckgeben": _decision_return,
    "bescheid-bereitstellen": _decision_deliver,
    "bescheid-erneut-bereitstellen": _decision_redeliver,
    "erstattung": _refund,
}
# After these, the caseworker stays on the Bescheid page.
DECISION_PAGE_ACTIONS = {"bescheid-entwerfen", "bescheid-speichern", "bescheid-zurueckgeben"}


@require_POST
@staff_required(role=Role.CASEWORKER)
def case_action(request, case_id, action: str):
    handler = ACTIONS.get(action)
    if handler is None:
        raise Http404
    case = _visible_case(request, case_id)
    try:
        messages.success(request, handler(request, case))
    except services.CaseActionRefused as refusal:
        messages.error(request, str(refusal))
    if action in DECISION_PAGE_ACTIONS and case.decisions.exclude(state=Decision.State.DELIVERED).exists():
        return redirect("cases:decision", case_id=case.pk)
    return redirect("cases:detail", case_id=case.pk)


@never_cache
@require_GET
@staff_required(role=Role.CASEWORKER)
def decision_page(request, case_id):
    """Draft, edit, co-sign and deliver the Bescheid in the making, with its PDF beside it."""
    case = _visible_case(request, case_id)
    decision = case.decisions.exclude(state=Decision.State.DELIVERED).select_related("document", "drafted_by").first()
    if decision is None:
        return redirect("cases:detail", case_id=case.pk)
    audit_record(action="decision.read", target=case, request=request, details={"decision": str(decision.pk)})
    versions = list(decision.document.versions.order_by("-number")) if decision.document else []
    settings = case.definition.decision
    return render(
        request,
        "cases/decision.html",
        {
            "case": case,
            "decision": decision,
            "versions": versions,
            "requires_cosign": bool(settings and settings.requires_cosign),
            "is_author": decision.drafted_by_id == request.user.pk,
            "form": forms.DecisionEditForm(
                initial={"result": decision.result, "subject": decision.subject, "body": decision.body},
                definition=case.definition,
            ),
            "return_form": forms.DecisionReturnForm(),
            "title": localized(case.definition.title),
        },
    )


# --- documents --------------------------------------------------------------------------------


@require_GET
@staff_required(role=Role.CASEWORKER)
def document_download(request, case_id, version_id):
    case = _visible_case(request, case_id)
    version = get_object_or_404(DocumentVersion.objects.filter(document__case=case), pk=version_id)
    try:
        chunks = open_decrypted(version.path, bytes(version.key))
    except (FileNotFoundError, ValueError, TypeError, DecryptionError) as exc:
        logger.error("document version %s unavailable: %s", version.pk, type(exc).__name__)
        raise Http404 from None
    audit_record(action="document.read", target=case, request=request, details={"version": str(version.pk)})
    content_type = version.content_type if "/" in version.content_type else "application/octet-stream"
    inline = request.GET.get("ansicht") == "1" and content_type in PREVIEW_TYPES
    response = StreamingHttpResponse(chunks, content_type=content_type if inline else "application/octet-stream")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{ascii_filename(version.filename)}"'
    response["Content-Length"] = str(version.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # A preview may show, never run: no scripts, no plugins, nothing fetched from elsewhere.
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    return response

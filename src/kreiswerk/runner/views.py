"""The citizen path: service index, start page, one page per step, check answers, receipt."""

import functools
import io
import time
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kreiswerk.assistants import evaluation, fields, rules
from kreiswerk.assistants.definition import localized
from kreiswerk.assistants.models import Assistant, AssistantVersion
from kreiswerk.assistants.selectors import assistants_open, published_version
from kreiswerk.audit.services import client_address
from kreiswerk.identity.models import TrustLevel, requirement
from kreiswerk.identity.selectors import allow_login_page, citizen_login, login_available, session_login
from kreiswerk.operations.services import window_left
from kreiswerk.payments.selectors import allow_pay_page, fee_context
from kreiswerk.submissions.filecheck import FileRejected
from kreiswerk.submissions.links import status_path
from kreiswerk.submissions.models import Attachment, Submission
from kreiswerk.submissions.receipt import receipt_pdf_bytes
from kreiswerk.submissions.services import (
    SubmitRefused,
    attachment_discard,
    attachment_store,
    submission_submit,
)
from kreiswerk.submissions.uploads import MB, get_upload_errors, set_upload_limit
from kreiswerk.tenancy.models import Role
from kreiswerk.tenancy.permissions import units_for

from . import services, widgets
from .models import Draft

SESSION_SEEN = "kreiswerk_citizen_seen"
BACK_TO_CHECK = "pruefen"


def _staff_verified(user) -> bool:
    return user.is_authenticated and user.is_verified()


def _touch_citizen_session(request) -> bool:
    """Idle limit for the citizen's session; False when it has run out (drafts are unbound)."""
    now = int(time.time())
    seen = request.session.get(SESSION_SEEN, now)
    # Once a minute is precise enough and spares a session write on most requests.
    if now - seen >= 60 or SESSION_SEEN not in request.session:
        request.session[SESSION_SEEN] = now
    if now - seen > settings.KREISWERK_SESSION_IDLE_MINUTES * 60:
        request.session.pop(services.SESSION_DRAFTS, None)
        return False
    return True


class SessionExpired(Exception):
    pass


class LoginNeeded(Exception):
    """The draft was begun after a BundID login; only that person's login continues it."""

    def __init__(self, level: int):
        super().__init__(level)
        self.level = level


def handles_expired_session(view):
    """After the idle limit the draft is no longer reachable from this browser: say why."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except SessionExpired:
            return render(request, "runner/session_expired.html", status=410)
        except LoginNeeded as exc:
            return _login_needed(request, exc.level)

    return wrapper


def _draft_for(request, draft_id) -> Draft:
    known = str(draft_id) in services.session_drafts(request.session)
    if not _touch_citizen_session(request) and known:
        raise SessionExpired
    if not known:
        raise Http404
    draft = Draft.objects.select_related("version__assistant__mandant").filter(pk=draft_id).first()
    if draft is None:
        raise Http404
    if draft.version.assistant.audience == "internal" and not _staff_verified(request.user):
        raise PermissionDenied
    if not services.draft_login_matches(draft, session_login(request)):
        raise LoginNeeded(draft.identity_level or TrustLevel.NONE)
    return draft


def _login_needed(request, level: int):
    context = {"login_enabled": login_available(), "next_url": request.path, "level": TrustLevel(level)}
    return allow_login_page(render(request, "runner/login_needed.html", context, status=403))


@require_GET
def index(request):
    # PostgreSQL text cannot hold NUL; nobody searches for control characters.
    query = "".join(ch for ch in request.GET.get("q", "") if ch.isprintable()).strip()[:100]
    assistants = list(assistants_open(query=query))
    return render(request, "runner/index.html", {"assistants": assistants, "query": query})


def _start_context(request, version: AssistantVersion, *, preview: bool) -> dict:
    definition = version.parsed
    start = definition.start
    level, login_required = requirement(definition)
    login = citizen_login(request)
    return {
        "login": login,
        "login_enabled": login_available(),
        "login_level": level,
        "login_required": login_required,
        "login_sufficient": login is not None and login.level >= level,
        "prefills": any(element.prefill for element in definition.inputs()),
        "version": version,
        "assistant": version.assistant,
        "title": localized(definition.title),
        "summary": localized(definition.summary),
        "description": localized(start.get("description")),
        "what_you_need": [localized(item) for item in start.get("what_you_need", [])],
        "duration": localized(start.get("duration")),
        "fee": localized(start.get("fee")),
        "legal_basis": localized(start.get("legal_basis")),
        "languages": definition.languages,
        "preview": preview,
    }


@require_http_methods(["GET", "POST"])
def start(request, mandant: str, slug: str):
    assistant = get_object_or_404(Assistant.objects.select_related("mandant", "unit"), mandant__slug=mandant, slug=slug)
    version = published_version(assistant)
    if version is None or not assistant.in_window():
        return render(request, "runner/unavailable.html", {"assistant": assistant}, status=404)
    if assistant.audience == "internal" and not _staff_verified(request.user):
        return redirect(f"{reverse(settings.LOGIN_URL)}?next={request.path}")
    context = _start_context(request, version, preview=False)
    if request.method == "POST":
        if context["login_required"] and not context["login_sufficient"]:
            context["login_missing"] = True
            return allow_login_page(render(request, "runner/start.html", context, status=403))
        return _begin(request, version, is_test=False)
    return allow_login_page(render(request, "runner/start.html", context))


@require_http_methods(["GET", "POST"])
def preview(request, version_id: int):
    """Form builders try any version in test mode; what they submit is marked as a test."""
    if not _staff_verified(request.user):
        return redirect(f"{reverse(settings.LOGIN_URL)}?next={request.path}")
    version = get_object_or_404(
        AssistantVersion.objects.select_related("assistant__mandant", "assistant__unit"),
        pk=version_id,
        assistant__unit__in=units_for(request.user, Role.FORM_ADMIN),
    )
    if request.method == "POST":
        return _begin(request, version, is_test=True)
    return render(request, "runner/start.html", _start_context(request, version, preview=True))


def _begin(request, version: AssistantVersion, *, is_test: bool):
    _touch_citizen_session(request)
    internal = version.assistant.audience == "internal"
    draft = services.draft_start(
        version=version,
        language=get_language() or "de",
        is_test=is_test,
        login=citizen_login(request),
        staff_author=request.user if internal else None,
    )
    services.session_bind_draft(request.session, draft)
    first = evaluation.visible_steps(version.parsed, {})[0]
    return redirect("runner:step", draft_id=draft.pk, step_key=first.key)


def _steps_state(draft: Draft):
    definition = draft.version.parsed
    steps = evaluation.visible_steps(definition, draft.answers)
    completed = set(draft.completed_steps)
    reachable = []
    for step in steps:
        reachable.append(step)
        if step.key not in completed:
            break
    return definition, steps, reachable


def _attachments_of(draft: Draft) -> dict:
    return {str(a.id): widgets.attachment_context(a) for a in Attachment.objects.filter(draft=draft)}


def _step_limits(step) -> tuple[int, int]:
    """Largest allowed file and number of files on this step, for the upload handler."""
    files = [e for e in _walk_inputs(step) if e.type == "file"]
    if not files:
        return settings.KREISWERK_MAX_UPLOAD_MB * MB, 0
    largest = max(e.file.get("max_size_mb", settings.KREISWERK_MAX_UPLOAD_MB) for e in files)
    count = sum(e.file.get("max_files", 1) for e in files)
    return int(min(largest, settings.KREISWERK_MAX_UPLOAD_MB) * MB), count


def _walk_inputs(step):
    for element in step.inputs():
        if element.type == "repeat":
            yield from (leaf for child in element.elements for leaf in child.inputs())
        yield element


@never_cache
@csrf_exempt
@handles_expired_session
def step(request, draft_id, step_key: str):
    # The upload limit must be set before anything reads the body, CSRF included.
    draft = _draft_for(request, draft_id)
    if draft.submitted_id:
        return redirect("runner:receipt", submission_id=draft.submitted_id)
    definition, steps, reachable = _steps_state(draft)
    current = next((s for s in steps if s.key == step_key), None)
    if current is None:
        raise Http404
    if request.method == "POST":
        limit, count = _step_limits(current)
        set_upload_limit(request, limit, max_files=max(count, 1))
    return csrf_protect(_step)(request, draft, definition, steps, reachable, current)


def _step(request, draft, definition, steps, reachable, current):
    if request.method not in {"GET", "POST"}:
        return HttpResponse(status=405)
    back_to_check = request.GET.get("zurueck") == BACK_TO_CHECK
    if current not in reachable and not back_to_check:
        return redirect("runner:step", draft_id=draft.pk, step_key=reachable[-1].key)
    if request.method == "GET":
        return _render_step(request, draft, definition, steps, current, answers=draft.answers, errors=[])
    with services.draft_transaction():
        # Another tab may have submitted meanwhile; the lock keeps this post from writing after it.
        if Draft.objects.select_for_update().filter(pk=draft.pk, submitted__isnull=False).exists():
            return redirect("runner:check", draft_id=draft.pk)
        return _step_post(request, draft, definition, steps, current, back_to_check)


def _step_post(request, draft, definition, steps, current, back_to_check):
    answers, format_errors = evaluation.parse_step(current, request.POST, draft.answers)
    # Locked values came from an ID-card login: a changed or missing one in the post does not count.
    answers = {**answers, **draft.locked}
    format_errors = {key: message for key, message in format_errors.items() if key not in draft.locked}
    upload_errors = _handle_files(request, draft, current, answers, format_errors)
    action = request.POST.get("_action", "weiter")
    if action.startswith(("add:", "remove:")):
        answers = _repeat_action(current, answers, action)
        services.draft_save(draft=draft, answers=answers)
        return redirect(_step_url(draft, current, back_to_check, anchor=action.split(":")[1]))
    if action == "speichern":
        services.draft_save(draft=draft, answers=answers)
        return redirect("runner:save", draft_id=draft.pk)
    if action.startswith("datei-entfernen:") or upload_errors is None:
        services.draft_save(draft=draft, answers=answers)
        return redirect(_step_url(draft, current, back_to_check))

    errors = upload_errors + evaluation.step_errors(definition, current, answers, format_errors=format_errors)
    if errors:
        # Keep what is valid, so the typed values survive a reload and a session warning.
        services.draft_save(draft=draft, answers=answers)
        return _render_step(
            request,
            draft,
            definition,
            steps,
            current,
            answers=answers,
            errors=errors,
            raw=request.POST,
        )
    draft.language = get_language() or "de"
    services.draft_save(draft=draft, answers=answers, completed_step=current.key)
    if back_to_check:
        return redirect("runner:check", draft_id=draft.pk)
    steps = evaluation.visible_steps(definition, answers)
    following = steps[steps.index(current) + 1 :] if current in steps else []
    if following:
        return redirect("runner:step", draft_id=draft.pk, step_key=following[0].key)
    return redirect("runner:check", draft_id=draft.pk)


def _step_url(draft, step, back_to_check: bool, anchor: str = "") -> str:
    url = reverse("runner:step", kwargs={"draft_id": draft.pk, "step_key": step.key})
    if back_to_check:
        url += f"?zurueck={BACK_TO_CHECK}"
    return url + (f"#feld-{anchor}" if anchor else "")


def _repeat_action(step, answers: dict, action: str) -> dict:
    parts = action.split(":")
    element = next((e for e in step.inputs() if e.type == "repeat" and e.key == parts[1]), None)
    if element is None:
        return answers
    items = list(answers.get(element.key) or [])
    if parts[0] == "add" and len(items) < element.max_items:
        items.append({})
    elif parts[0] == "remove" and len(parts) == 3 and parts[2].isascii() and parts[2].isdigit():
        index = int(parts[2])
        if 0 <= index < len(items) and len(items) > element.min_items:
            items.pop(index)
    return {**answers, element.key: items}


def _handle_files(request, draft, step, answers, format_errors) -> list:
    """Store new uploads and removals; returns errors, or None when only files changed on request."""
    errors = []
    for name, message in get_upload_errors(request):
        errors.append(evaluation.FieldError(name or "", f"feld-{name}" if name else "", message))
    removal = request.POST.get("_action", "")
    for element, name, holder, key in _file_inputs(step, answers):
        current = list(holder.get(key) or [])
        if removal == f"datei-entfernen:{name}" or removal.startswith(f"datei-entfernen:{name}:"):
            attachment_id = removal.rsplit(":", 1)[1]
            # Only a file of this very field: another field must not lose its file behind its back.
            attachment = None
            if attachment_id in current:
                attachment = Attachment.objects.filter(draft=draft, id=_uuid_or_none(attachment_id)).first()
            if attachment is not None:
                attachment_discard(attachment=attachment)
                current = [i for i in current if i != str(attachment.id)]
        for uploaded in request.FILES.getlist(name):
            if len(current) >= element.file.get("max_files", 1):
                errors.append(
                    evaluation.FieldError(
                        name,
                        f"feld-{name}",
                        ngettext(
                            "Es ist höchstens eine Datei möglich.",
                            "Es sind höchstens %(n)s Dateien möglich.",
                            element.file.get("max_files", 1),
                        )
                        % {"n": element.file.get("max_files", 1)},
                    )
                )
                break
            limit = element.file.get("max_size_mb", settings.KREISWERK_MAX_UPLOAD_MB) * MB
            if uploaded.size > limit:
                errors.append(
                    evaluation.FieldError(
                        name,
                        f"feld-{name}",
                        _("Die Datei „%(name)s“ ist größer als %(mb)s MB und wurde nicht angenommen.")
                        % {"name": uploaded.name, "mb": element.file.get("max_size_mb")},
                    )
                )
                continue
            try:
                attachment = attachment_store(
                    draft=draft,
                    field_key=name,
                    uploaded=uploaded,
                    allowed_types=element.file["types"],
                )
            except FileRejected as exc:
                errors.append(evaluation.FieldError(name, f"feld-{name}", str(exc.message)))
                continue
            current.append(str(attachment.id))
        holder[key] = current
    if removal.startswith("datei-entfernen:") and not errors:
        return None
    return errors


def _file_inputs(step, answers):
    """(element, input name, dict holding the value, key) for every file input of the step."""
    for element in step.inputs():
        if element.type == "file":
            yield element, element.key, answers, element.key
        elif element.type == "repeat":
            for index, item in enumerate(answers.get(element.key) or []):
                for child in (leaf for c in element.elements for leaf in c.inputs()):
                    if child.type == "file":
                        yield child, f"{element.key}__{index}__{child.key}", item, child.key


def _uuid_or_none(value: str):
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _render_step(request, draft, definition, steps, current, *, answers, errors, raw=None):
    data = evaluation.rule_data(definition, answers)
    error_map = {}
    for error in errors:
        error_map.setdefault(error.key, error.message)
    field_contexts = widgets.step_fields(
        current,
        answers=answers,
        data=data,
        errors=error_map,
        raw=raw,
        locked=set(draft.locked),
        # Only steps that can hold files need to look them up.
        attachments=_attachments_of(draft) if any(e.type == "file" for e in _walk_inputs(current)) else {},
    )
    index = steps.index(current) if current in steps else 0
    previous = steps[index - 1] if index > 0 else None
    rule_vars = _page_rule_vars(current)
    context = {
        "draft": draft,
        "title": localized(definition.title),
        "step": current,
        "step_title": localized(current.title),
        "step_intro": localized(current.intro),
        "step_number": index + 1,
        "step_count": len(steps),
        "fields": field_contexts,
        "errors": errors,
        "previous": previous,
        "back_to_check": request.GET.get("zurueck") == BACK_TO_CHECK,
        # Answers from earlier steps that the page's rules read, so the browser can evaluate them.
        "rule_context": {key: _json_safe(value) for key, value in data.items() if key in rule_vars},
        "idle_seconds": settings.KREISWERK_SESSION_IDLE_MINUTES * 60,
        "fee": _fee(definition, answers),
    }
    return render(request, "runner/step.html", context)


def _json_safe(value):
    """Decimals as numbers for the browser's rules; json_script escapes the rest."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list):
        return [_json_safe(item) for item in value]
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    return value


def _page_rule_vars(step) -> set[str]:
    names: set[str] = set()

    def visit(elements):
        for element in elements:
            for rule in (element.visible_if, element.required_if):
                if rule is not None:
                    names.update(rules.referenced_vars(rule))
            visit(element.elements)

    visit(step.elements)
    return {name.split(".")[0] for name in names}


def _fee(definition, answers) -> str:
    if not definition.fee:
        return ""
    value = evaluation.computed_values(definition, answers).get(definition.fee)
    if value is None:
        return ""
    computed = next(c for c in definition.computed if c.key == definition.fee)
    return fields.display(
        fields.Element(key=computed.key, type=computed.type if computed.type != "yesno" else "text"),
        value,
    )


@never_cache
@require_http_methods(["GET", "POST"])
@handles_expired_session
def check(request, draft_id):
    draft = _draft_for(request, draft_id)
    if draft.submitted_id:
        return redirect("runner:receipt", submission_id=draft.submitted_id)
    definition, steps, reachable = _steps_state(draft)
    missing = [s for s in steps if s.key not in draft.completed_steps]
    if missing:
        return redirect("runner:step", draft_id=draft.pk, step_key=missing[0].key)
    problems = []
    if request.method == "POST":
        try:
            submission = submission_submit(draft=draft, submit_key=request.POST.get("submit_key", ""))
        except SubmitRefused as exc:
            problems = exc.errors or [evaluation.FieldError("", "", exc.message)]
            draft.refresh_from_db()
        else:
            services.session_bind_submission(request.session, submission)
            return redirect("runner:receipt", submission_id=submission.pk)
    answers = evaluation.prune(definition, draft.answers)
    context = {
        "draft": draft,
        "title": localized(definition.title),
        "sections": _summary_sections(definition, steps, answers, draft),
        "computed": _computed_rows(definition, answers),
        "errors": problems,
        "step_count": len(steps),
    }
    return render(request, "runner/check.html", context, status=422 if problems else 200)


def _summary_sections(definition, steps, answers, draft) -> list[dict]:
    files = {key: value["name"] for key, value in _attachments_of(draft).items()}
    data = evaluation.rule_data(definition, answers)
    sections = []
    for step in steps:
        rows = []
        for element in evaluation.visible_inputs(step.elements, data):
            if element.type == "declaration":
                continue
            change = _step_url(draft, step, True, anchor=evaluation.field_anchor(element).removeprefix("feld-"))
            value = answers.get(element.key)
            if element.type == "repeat":
                children = [leaf for child in element.elements for leaf in child.inputs()]
                for number, item in enumerate(value or [], start=1):
                    item_label = localized(element.item_label) or localized(element.label)
                    for child in children:
                        if child.key in item:
                            rows.append(
                                {
                                    "label": f"{item_label} {number}: {localized(child.label)}",
                                    "value": fields.display(child, item[child.key], files=files),
                                    "change": change,
                                }
                            )
                continue
            rows.append(
                {
                    "label": localized(element.label),
                    "value": fields.display(element, value, files=files) or _("keine Angabe"),
                    "change": change,
                }
            )
        if rows:
            sections.append({"title": localized(step.title), "rows": rows, "key": step.key})
    return sections


def _computed_rows(definition, answers) -> list[dict]:
    values = evaluation.computed_values(definition, answers)
    rows = []
    for computed in definition.computed:
        value = values.get(computed.key)
        if value is None:
            continue
        element = fields.Element(key=computed.key, type=computed.type if computed.type != "yesno" else "text")
        rows.append({"label": localized(computed.label), "value": fields.display(element, value)})
    return rows


@never_cache
@require_http_methods(["GET", "POST"])
@handles_expired_session
def save(request, draft_id):
    """Save and resume later: the citizen gets a link by e-mail."""
    draft = _draft_for(request, draft_id)
    if draft.submitted_id:
        return redirect("runner:receipt", submission_id=draft.submitted_id)
    error = ""
    email = ""
    status = 200
    if request.method == "POST":
        email = request.POST.get("email", "").strip()
        try:
            email = fields.validators.validate_email(email)
        except Exception as exc:  # ValidationError with a German message
            error = exc.messages[0] if hasattr(exc, "messages") else str(exc)
        else:
            try:
                services.draft_resume_link_request(draft=draft, email=email, client_address=client_address(request))
            except services.ResumeLinkLimited:
                retry_after = window_left(3600)
                minutes = -(-retry_after // 60)
                error = ngettext(
                    "In kurzer Zeit wurden zu viele Links angefordert. Ihre Angaben sind gespeichert: Sie können den "
                    "Antrag weiter ausfüllen oder es in %(minutes)d Minute noch einmal versuchen.",
                    "In kurzer Zeit wurden zu viele Links angefordert. Ihre Angaben sind gespeichert: Sie können den "
                    "Antrag weiter ausfüllen oder es in %(minutes)d Minuten noch einmal versuchen.",
                    minutes,
                ) % {"minutes": minutes}
                status = 429
            else:
                return render(request, "runner/saved.html", {"draft": draft, "email": email})
    response = render(
        request,
        "runner/save.html",
        {
            "draft": draft,
            "title": localized(draft.version.parsed.title),
            "error": error,
            "summary": [{"anchor": "feld-email", "message": error}],
            "email": email,
        },
        status=status,
    )
    if status == 429:
        response["Retry-After"] = str(retry_after)
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def resume(request, token: str):
    draft = services.draft_by_resume_token(token)
    if draft is None:
        return render(request, "runner/resume_invalid.html", status=404)
    if not services.draft_login_matches(draft, session_login(request)):
        return _login_needed(request, draft.identity_level or TrustLevel.NONE)
    if request.method == "POST":
        _touch_citizen_session(request)
        services.session_bind_draft(request.session, draft)
        _definition, _steps, reachable = _steps_state(draft)
        return redirect("runner:step", draft_id=draft.pk, step_key=reachable[-1].key)
    return render(
        request,
        "runner/resume.html",
        {"draft": draft, "title": localized(draft.version.parsed.title)},
    )


@require_POST
@handles_expired_session
def keepalive(request, draft_id):
    """The session warning's "continue": refreshes the session and keeps what was typed."""
    draft = _draft_for(request, draft_id)
    step_key = request.POST.get("_step")
    if step_key and not draft.submitted_id:
        step_obj = next((s for s in draft.version.parsed.steps if s.key == step_key), None)
        if step_obj is not None:
            answers, _errors = evaluation.parse_step(step_obj, request.POST, draft.answers)
            with services.draft_transaction():
                services.draft_save(draft=draft, answers=answers)
    return JsonResponse({"ok": True, "idle_seconds": settings.KREISWERK_SESSION_IDLE_MINUTES * 60})


def _submission_for(request, submission_id) -> Submission:
    if not services.session_owns_submission(request.session, submission_id):
        raise Http404
    return get_object_or_404(
        Submission.objects.select_related("assistant__mandant", "assistant__unit", "version"),
        pk=submission_id,
    )


@never_cache
@require_GET
def receipt(request, submission_id):
    submission = _submission_for(request, submission_id)
    definition = submission.version.parsed
    email_field = definition.confirmation_email_field
    context = {
        "submission": submission,
        "title": localized(definition.title),
        "email": submission.answers.get(email_field) if email_field else "",
        "attachments": list(submission.attachments.all()),
        "status_path": status_path(submission.pk),
        **fee_context(submission),
    }
    return allow_pay_page(render(request, "runner/receipt.html", context))


@never_cache
@require_GET
def receipt_pdf(request, submission_id):
    submission = _submission_for(request, submission_id)
    pdf = receipt_pdf_bytes(submission=submission)
    response = FileResponse(
        io.BytesIO(pdf),
        as_attachment=True,
        filename=f"Eingangsbestaetigung-{submission.reference}.pdf",
        content_type="application/pdf",
    )
    return response

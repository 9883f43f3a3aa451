"""The staff pages of the Aussonderung and the download of an Akte as a hand-over package.

Reviews, packages and deletion records are found through ``selectors`` (the role
Aktenverwaltung/Archiv or Administration in the unit or above it; 404 elsewhere). The
package download needs every case of the Akte to be visible through
``cases.selectors.cases_visible_to``. Every page writes an audit entry; state changes
only by POST, each through one service; a refused step comes back as a German message.
"""

import logging
import tempfile
import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from kreiswerk.accounts.decorators import staff_required
from kreiswerk.audit.services import audit_record
from kreiswerk.cases.models import Akte, Case
from kreiswerk.submissions.export import ascii_filename
from kreiswerk.submissions.receipt import unit_chain
from kreiswerk.tenancy.models import Role

from . import forms, package, selectors, services
from .models import Decision, DisposalReview, HandOver

logger = logging.getLogger(__name__)

PAGE_SIZE = 50


def _visible_review(request, review_id) -> DisposalReview:
    reviews = selectors.disposal_reviews_visible_to(request.user).select_related(
        "case", "akte", "unit", "handover", "decided_by"
    )
    return get_object_or_404(reviews, pk=review_id)


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("seite"))


@never_cache
@require_GET
@staff_required(role=Role.ARCHIVE)
def review_list(request):
    form = forms.ReviewFilterForm(request.GET or None)
    page = None
    if not form.is_bound or form.is_valid():
        state = form.cleaned_data.get("stand", "") if form.is_bound else ""
        reviews = selectors.disposal_review_list(request.user, state=state).order_by("retention_until", "pk")
        page = _page(request, reviews)
        audit_record(action="archive.review_list", request=request, details={"reviews": [r.pk for r in page]})
    return render(request, "archive/reviews.html", {"form": form, "page": page, "listed": page is not None})


def _detail(request, review: DisposalReview, *, decision_form=None, status: int = 200):
    akte = review.akte
    can_download = (
        akte is not None
        and akte.closed_at is not None
        and request.user.is_authenticated
        and selectors.akte_cases_all_visible(request.user, akte)
    )
    blockers = selectors.akte_handover_blockers(akte) if akte is not None else []
    record = getattr(review, "deletion_record", None) if review.state == DisposalReview.State.COMPLETED else None
    initial = {"decision": review.decision} if review.decision else {}
    if not initial and review.proposed in {Case.Disposal.ARCHIVE, Case.Disposal.DESTROY}:
        initial = {"decision": Decision.KEEP if review.proposed == Case.Disposal.ARCHIVE else Decision.DESTROY}
    return render(
        request,
        "archive/review.html",
        {
            "review": review,
            "decision_form": decision_form or forms.DecisionForm(initial={**initial, "reason": review.reason}),
            "can_decide": review.state in {DisposalReview.State.LISTED, DisposalReview.State.DECIDED}
            and review.case_id is not None
            and not (review.handover and review.handover.status in {HandOver.Status.PENDING, HandOver.Status.READY}),
            "can_destroy": review.state == DisposalReview.State.DECIDED and review.decision == Decision.DESTROY,
            "can_hand_over": review.decision == Decision.KEEP
            and review.state in {DisposalReview.State.DECIDED, DisposalReview.State.HANDED_OVER}
            and not blockers,
            "blockers": [case for case in blockers if case.pk != review.case_id],
            "handover": review.handover,
            "can_confirm": review.handover is not None and review.handover.status == HandOver.Status.READY,
            "can_download": can_download,
            "record": record,
            "outbox": services.outbox_dir(),
            "unit_name": unit_chain(review.unit),
        },
        status=status,
    )


@never_cache
@require_GET
@staff_required(role=Role.ARCHIVE)
def review_detail(request, review_id):
    review = _visible_review(request, review_id)
    audit_record(action="archive.review_read", target=review.case or review, request=request)
    return _detail(request, review)


@require_POST
@staff_required(role=Role.ARCHIVE)
def review_decide(request, review_id):
    review = _visible_review(request, review_id)
    form = forms.DecisionForm(request.POST)
    if not form.is_valid():
        return _detail(request, review, decision_form=form)
    try:
        services.disposal_review_decide(
            review=review,
            decision=form.cleaned_data["decision"],
            reason=form.cleaned_data["reason"],
            actor=request.user,
        )
    except services.ArchiveActionRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("Die Entscheidung ist gespeichert."))
    return redirect("archive:review", review_id=review.pk)


def _confirmed(request) -> bool:
    if forms.ConfirmForm(request.POST).is_valid():
        return True
    messages.error(request, _("Bitte bestätigen Sie dies durch Ankreuzen des Kästchens."))
    return False


@require_POST
@staff_required(role=Role.ARCHIVE)
def review_destroy(request, review_id):
    review = _visible_review(request, review_id)
    if _confirmed(request):
        try:
            services.disposal_review_destroy(review=review, actor=request.user)
        except services.ArchiveActionRefused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, _("Der Vorgang ist vernichtet; der Löschnachweis ist gespeichert."))
    return redirect("archive:review", review_id=review.pk)


@require_POST
@staff_required(role=Role.ARCHIVE)
def review_hand_over(request, review_id):
    review = _visible_review(request, review_id)
    if review.akte is None:
        messages.error(request, _("Diese Akte gibt es nicht mehr."))
        return redirect("archive:review", review_id=review.pk)
    try:
        handover = services.handover_start(akte=review.akte, actor=request.user)
    except services.ArchiveActionRefused as refusal:
        messages.error(request, str(refusal))
    else:
        handover.refresh_from_db()
        if handover.status == HandOver.Status.READY:
            messages.success(request, _("Das Abgabepaket liegt im Ausgangsverzeichnis für das Archiv bereit."))
        elif handover.status == HandOver.Status.FAILED:
            messages.error(
                request, _("Das Abgabepaket konnte nicht erstellt werden: ein Dokument fehlt oder ist beschädigt.")
            )
        else:
            messages.success(
                request, _("Das Abgabepaket wird erstellt. Bitte sehen Sie in einigen Minuten wieder nach.")
            )
    return redirect("archive:review", review_id=review.pk)


@require_POST
@staff_required(role=Role.ARCHIVE)
def review_confirm(request, review_id):
    review = _visible_review(request, review_id)
    if review.handover is None:
        messages.error(request, _("Für diesen Vorgang gibt es kein Abgabepaket."))
        return redirect("archive:review", review_id=review.pk)
    if _confirmed(request):
        try:
            records = services.handover_confirm(handover=review.handover, actor=request.user)
        except services.ArchiveActionRefused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(
                request,
                _("Die Übernahme ist bestätigt; %(count)s Vorgang/Vorgänge gelöscht, Löschnachweise gespeichert.")
                % {"count": len(records)},
            )
    return redirect("archive:review", review_id=review.pk)


@never_cache
@require_GET
@staff_required(role=Role.ARCHIVE)
def record_list(request):
    records = selectors.deletion_records_visible_to(request.user).select_related("unit").order_by("-executed_at", "-pk")
    page = _page(request, records)
    audit_record(action="archive.record_list", request=request, details={"records": [r.pk for r in page]})
    return render(request, "archive/records.html", {"page": page})


@never_cache
@require_GET
@staff_required(role=Role.ARCHIVE)
def record_detail(request, record_id):
    record = get_object_or_404(selectors.deletion_records_visible_to(request.user).select_related("unit"), pk=record_id)
    audit_record(action="archive.record_read", target=record, request=request)
    return render(request, "archive/record.html", {"record": record, "unit_name": unit_chain(record.unit)})


# --- the package of a closed Akte -------------------------------------------------------------


@require_GET
@staff_required(role=Role.CASEWORKER)
def akte_package(request, akte_id):
    akte = Akte.objects.select_related("mandant", "unit", "filing_position").filter(pk=akte_id).first()
    if akte is None or not selectors.akte_cases_all_visible(request.user, akte):
        raise Http404
    cases = list(Case.objects.filter(akte=akte).order_by("received_at", "pk"))
    if akte.closed_at is None or any(case.is_open for case in cases):
        messages.error(request, _("Als Paket herunterladen lässt sich nur eine geschlossene Akte."))
        return redirect("cases:detail", case_id=cases[0].pk)
    process_id = uuid.uuid4()
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    try:
        package.akte_package_write(
            akte=akte, process_id=process_id, target=handle, sender_unit_name=unit_chain(akte.unit)
        )
    except package.PackageError as exc:
        handle.close()
        logger.error("package of akte %s: %s", akte.pk, exc)
        messages.error(request, _("Das Paket konnte nicht erstellt werden: ein Dokument fehlt oder ist beschädigt."))
        return redirect("cases:detail", case_id=cases[0].pk)
    except BaseException:
        handle.close()
        raise
    for case in cases:
        audit_record(
            action="archive.package_download", target=case, request=request, details={"process": str(process_id)}
        )
    handle.seek(0)
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"Akte-{ascii_filename(akte.reference, default='akte')}.zip",
        content_type="application/zip",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response

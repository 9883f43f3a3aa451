"""A caseworker claims, checks, moves and closes a case; deadlines follow the Vorgangsart."""

import datetime

import pytest
from django.utils import timezone

from kreiswerk.cases import services
from kreiswerk.cases.deadlines import Duration
from kreiswerk.cases.models import Deadline, Event
from kreiswerk.tenancy.models import Role
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db


def test_claim_check_move_and_close_with_retention(open_case, caseworker):
    case = open_case()
    case = services.case_assign(case=case, assignee=caseworker, actor=caseworker)
    assert case.assignee == caseworker
    case = services.case_status_change(case=case, status="in_pruefung", actor=caseworker)

    with pytest.raises(services.CaseActionRefused, match="Prüfschritte"):
        services.case_status_change(case=case, status="entscheidung", actor=caseworker)
    case = services.checklist_check(case=case, item="angaben", actor=caseworker)
    case = services.case_status_change(case=case, status="entscheidung", actor=caseworker)
    case = services.case_close(case=case, result="bewilligt", actor=caseworker)

    closed_year = timezone.localdate().year
    assert not case.is_open and case.result == "bewilligt"
    assert case.retention_until == datetime.date(closed_year + 10, 12, 31)  # ten years from the end of that year
    assert case.disposal == "offer"
    assert case.due_on is None
    assert case.akte.cases.filter(is_open=True).count() == 0
    kinds = list(case.events.order_by("at", "id").values_list("kind", flat=True))
    assert kinds[0] == Event.Kind.OPENED and kinds[-1] == Event.Kind.CLOSED
    with pytest.raises(services.CaseActionRefused, match="abgeschlossen"):
        services.note_add(case=case, author=caseworker, text="zu spät")


def test_transitions_not_in_the_vorgangsart_are_refused(open_case, caseworker):
    case = open_case()
    with pytest.raises(services.CaseActionRefused, match="nicht vorgesehen"):
        services.case_status_change(case=case, status="entscheidung", actor=caseworker)
    with pytest.raises(services.CaseActionRefused, match="nicht abgeschlossen werden"):
        services.case_close(case=case, result="bewilligt", actor=caseworker)


def test_assigning_to_someone_outside_the_unit_is_refused(open_case, caseworker, other_unit):
    outsider = make_staff("aussen", unit=other_unit, role=Role.CASEWORKER)
    form_admin = make_staff("formular2", unit=open_case().unit, role=Role.FORM_ADMIN)
    case = open_case()
    for person in (outsider, form_admin):
        with pytest.raises(services.CaseActionRefused, match="nicht für Sachbearbeitung"):
            services.case_assign(case=case, assignee=person, actor=caseworker)
    case = services.case_assign(case=case, assignee=caseworker, actor=caseworker)
    case = services.case_release(case=case, actor=caseworker)
    assert case.assignee is None


def test_completeness_starts_the_fiction_which_extends_only_once(open_case, caseworker):
    case = open_case(received=timezone.now() - datetime.timedelta(days=3))
    on = timezone.localdate() - datetime.timedelta(days=1)
    case = services.documents_complete(case=case, on=on, actor=caseworker)
    fiction = case.deadlines.get(kind=Deadline.Kind.FICTION)
    assert fiction.due_on is not None and fiction.due_on > on + datetime.timedelta(days=88)
    extended = services.deadline_extend(
        case=case,
        kind=Deadline.Kind.FICTION,
        duration=Duration(1, "months"),
        reason="schwierige Sache",
        actor=caseworker,
    )
    assert extended.due_on > fiction.due_on
    with pytest.raises(services.CaseActionRefused, match="nur einmal"):
        services.deadline_extend(
            case=case, kind=Deadline.Kind.FICTION, duration=Duration(1, "months"), reason="noch mal", actor=caseworker
        )
    with pytest.raises(services.CaseActionRefused, match="bereits"):
        services.documents_complete(case=case, on=on, actor=caseworker)


def test_a_suspension_pauses_the_deadline_and_its_days_are_added_afterwards(open_case, caseworker):
    case = open_case()
    before = case.due_on
    today = timezone.localdate()
    case = services.deadlines_suspend(case=case, start=today, reason="Rückfrage", actor=caseworker)
    assert case.due_on is None  # paused: sorted last, shown as "ruht"
    case = services.deadlines_resume(case=case, end=today + datetime.timedelta(days=9), actor=caseworker)
    # The receipt day itself is not counted (§ 187 BGB), so nine suspended days count.
    assert case.due_on >= before + datetime.timedelta(days=9)


def test_notes_and_reminders_stay_internal_and_dated(open_case, caseworker):
    case = open_case()
    note = services.note_add(case=case, author=caseworker, text="  Rückruf vereinbart  ")
    assert note.text == "Rückruf vereinbart"
    with pytest.raises(services.CaseActionRefused):
        services.note_add(case=case, author=caseworker, text="   ")
    with pytest.raises(services.CaseActionRefused, match="heute oder später"):
        services.reminder_set(
            case=case, owner=caseworker, due_on=timezone.localdate() - datetime.timedelta(days=1), reason="x"
        )
    reminder = services.reminder_set(
        case=case, owner=caseworker, due_on=timezone.localdate(), reason="Unterlagen nachfordern"
    )
    assert services.reminder_done(reminder=reminder, user=caseworker).done_at is not None

"""The daily job lists exactly the closed cases whose retention ran out, each once."""

from io import StringIO

import pytest
from django.core.management import call_command

from kreiswerk.archive.models import DisposalReview
from kreiswerk.archive.services import disposal_reviews_list
from kreiswerk.audit.models import AuditEntry
from kreiswerk.cases.models import Case

from .conftest import close_case, expire, light_case

pytestmark = pytest.mark.django_db


def test_it_lists_exactly_the_closed_cases_whose_retention_ran_out(case_type_version):
    ran_out = light_case(case_type_version, "gewerbe")
    last_day_today = expire(close_case(light_case(case_type_version, "gewerbe", closed=False, expired=False)), days=0)
    kept_for_years = light_case(case_type_version, "gewerbe", expired=False)
    still_open = light_case(case_type_version, "gewerbe", closed=False, expired=False)
    # An open case with a past retention date (cannot happen through the services) is not touched either.
    Case.objects.filter(pk=still_open.pk).update(retention_until="2001-01-01")

    created = disposal_reviews_list()

    assert [review.case for review in created] == [ran_out]
    assert not DisposalReview.objects.filter(case__in=[last_day_today, kept_for_years, still_open]).exists()
    review = created[0]
    assert review.state == DisposalReview.State.LISTED
    assert review.proposed == Case.Disposal.OFFER  # the result "bewilligt" offers it to the archive
    assert (review.case_reference, review.akte_reference) == (ran_out.reference, ran_out.akte.reference)
    assert review.unit_id == ran_out.unit_id and review.retention_until == ran_out.retention_until
    assert review.result_title == "bewilligt" and review.case_type_title == "Testvorgang"


def test_it_lists_each_case_once(case_type_version):
    case = light_case(case_type_version, "gewerbe")
    assert len(disposal_reviews_list()) == 1
    assert disposal_reviews_list() == []
    assert DisposalReview.objects.filter(case=case).count() == 1
    assert AuditEntry.objects.filter(action="archive.review_listed", target_id=str(case.pk)).count() == 1


def test_it_takes_the_proposal_from_the_result(case_type_version):
    case = light_case(case_type_version, "gewerbe", closed=False, expired=False)
    case = expire(close_case(case, result="zurueckgenommen"))
    (review,) = disposal_reviews_list()
    assert review.case == case and review.proposed == Case.Disposal.DESTROY


def test_the_command_lists_and_executes(case_type_version):
    destroy = light_case(case_type_version, "gewerbe")
    keep = light_case(case_type_version, "gewerbe")
    out = StringIO()
    call_command("archive", "review", stdout=out)
    assert out.getvalue().startswith("2 ")
    from kreiswerk.archive.services import disposal_review_decide

    for case, decision in ((destroy, "destroy"), (keep, "keep")):
        disposal_review_decide(review=case.disposal_review, decision=decision, reason="Bewertung", actor=None)
    out = StringIO()
    call_command("archive", "execute", stdout=out)
    assert out.getvalue().startswith("1 ")
    assert not Case.objects.filter(pk=destroy.pk).exists()
    assert Case.objects.filter(pk=keep.pk).exists()  # handed over, never destroyed by the job
    out = StringIO()
    call_command("archive", "review", stdout=out)
    call_command("archive", "execute", stdout=out)
    assert DisposalReview.objects.count() == 2

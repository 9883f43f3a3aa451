"""The job that turns a submission into a case: step three of the submission's follow-up chain."""

from kreiswerk.jobs import retrying_task
from kreiswerk.submissions.models import Submission

from .services import case_open_for_submission


@retrying_task()
def submission_case_open(*, submission_id: str) -> None:
    """Open the case (with receipt and attachments) if the assistant is linked to a Vorgangsart; idempotent."""
    submission = Submission.objects.select_related("mandant", "unit", "version", "assistant").get(pk=submission_id)
    if not submission.is_test:
        case_open_for_submission(submission=submission)

"""Child process for the crash test: submit a draft and stall inside the transaction.

The parent kills this process with SIGKILL once the marker file appears.
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from kreiswerk.runner.models import Draft  # noqa: E402
from kreiswerk.submissions import services  # noqa: E402


def stall(submission) -> None:
    # Runs after the submission row and the attachments were written, before the commit.
    Path(sys.argv[2]).write_text(submission.reference)
    time.sleep(120)


services.followup_enqueue = stall
draft = Draft.objects.get(pk=sys.argv[1])
services.submission_submit(draft=draft, submit_key=str(draft.submit_key))

"""A signed webhook: the submission as JSON, with links to fetch its uploads through the API.

The body is signed (HMAC-SHA512 over ``timestamp.body``, hex) with a secret shared with the
receiver, which refuses a body that does not match or a timestamp older than five minutes.
The files stay here: the receiver downloads them with its API token, each with a hash to check.
"""

from __future__ import annotations

import json
import time

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from ..base import Channel, Outcome
from ..models import Delivery, Destination
from ..package import Package
from ..registry import register
from ..signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from ..transport import post_delivery, url_problem

EVENT_TYPE = "submission.created"
MIN_SECRET_LENGTH = 32


def body_build(*, delivery: Delivery, package: Package) -> dict:
    submission = package.submission
    api_submission = reverse("api-v1:submission_detail", kwargs={"submission_id": submission.pk})
    return {
        "type": EVENT_TYPE,
        "id": str(delivery.pk),
        "submission": {
            "id": str(submission.pk),
            "reference": submission.reference,
            "assistant": submission.assistant.slug,
            "assistant_version": submission.version.number,
            "unit": submission.unit.code,
            "submitted_at": submission.submitted_at.isoformat(),
            "language": submission.language,
            "is_test": submission.is_test,
            "href": settings.KREISWERK_BASE_URL + api_submission,
        },
        "schema": package.schema_uri,
        "data": json.loads(package.data),
        "data_sha512": package.data_sha512,
        "files": [
            {
                "id": str(item.attachment_id),
                "purpose": item.purpose,
                "filename": item.filename,
                "mime_type": item.content_type,
                "size": len(item.content),
                "sha512": item.sha512,
                "href": settings.KREISWERK_BASE_URL
                + reverse(
                    "api-v1:submission_attachment_content",
                    kwargs={"submission_id": submission.pk, "attachment_id": item.attachment_id},
                ),
            }
            for item in package.files
            if item.purpose == "attachment"  # the receipt is rendered from ``data``; no need to fetch it
        ],
    }


@register
class WebhookChannel(Channel):
    kind = Destination.Kind.WEBHOOK

    def clean(self, destination: Destination) -> dict[str, str]:
        errors = {}
        problem = url_problem(destination.url) if destination.url else _("Bitte geben Sie die Adresse des Webhooks an.")
        if problem:
            errors["url"] = problem
        if len(destination.secret) < MIN_SECRET_LENGTH:
            errors["secret"] = _("Das gemeinsame Geheimnis muss mindestens %(count)s Zeichen lang sein.") % {
                "count": MIN_SECRET_LENGTH
            }
        return errors

    def deliver(self, *, delivery: Delivery, package: Package) -> Outcome:
        body = json.dumps(body_build(delivery=delivery, package=package), ensure_ascii=False).encode()
        timestamp = int(time.time())
        return post_delivery(
            delivery,
            body=body,
            headers={
                TIMESTAMP_HEADER: str(timestamp),
                SIGNATURE_HEADER: signature(delivery.destination.secret, timestamp=timestamp, body=body),
            },
        )

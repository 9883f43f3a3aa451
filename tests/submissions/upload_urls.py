"""A test-only form view for the upload handler (used via ``@pytest.mark.urls``).

It follows the pattern a real view needs to lower the limit per request:
``csrf_exempt`` outside, set the limit, then a ``csrf_protect``-ed inner view
that touches request.POST/FILES and turns recorded upload errors into form
errors. Query parameters ``limit`` and ``files`` set the limits.
"""

import os

from django import forms
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template import Context, Template
from django.urls import path
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from kreiswerk.submissions.uploads import add_upload_errors, set_upload_limit

# What the view saw, for assertions after the request (temp files are gone by then).
RECEIVED: list[dict] = []

PAGE = Template(
    '<form method="post" enctype="multipart/form-data">'
    '<input type="hidden" name="csrfmiddlewaretoken" value="{{ csrf_token }}">'
    "{{ form }}<button>Senden</button></form>"
    '{% if ok %}<p class="ok">Angenommen</p>{% endif %}'
)


class AttachmentForm(forms.Form):
    betreff = forms.CharField(required=False)
    anlage = forms.FileField(required=False)
    weitere = forms.FileField(required=False)
    bemerkung = forms.CharField(required=False)


@csrf_exempt
def upload_view(request):
    if request.method == "POST" and ("limit" in request.GET or "files" in request.GET):
        set_upload_limit(
            request,
            int(request.GET.get("limit", 10**12)),
            max_files=int(request.GET["files"]) if "files" in request.GET else None,
        )
    return _form_view(request)


@csrf_protect
def _form_view(request):
    ok = False
    if request.method == "POST":
        form = AttachmentForm(request.POST, request.FILES)
        add_upload_errors(form, request)
        for field_name, files in request.FILES.lists():
            for upload in files:
                RECEIVED.append(
                    {
                        "field": field_name,
                        "name": upload.name,
                        "size": upload.size,
                        "temporary": isinstance(upload, TemporaryUploadedFile),
                        "on_disk": os.path.exists(upload.temporary_file_path()),
                        "content": upload.read(),
                    }
                )
        ok = form.is_valid()
        RECEIVED.append({"post": dict(request.POST.items()), "ok": ok})
    else:
        form = AttachmentForm()
    html = PAGE.render(Context({"form": form, "csrf_token": get_token(request), "ok": ok}))
    return HttpResponse(html)


urlpatterns = [path("upload/", upload_view, name="upload")]

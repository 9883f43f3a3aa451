from django.urls import include, path
from django.views.i18n import set_language

from .identity import views as identity_views
from .operations.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("sprache/", set_language, name="set_language"),
    path("verwaltung/", include("kreiswerk.accounts.urls")),
    path("verwaltung/sso/", include("kreiswerk.identity.staff_sso")),
    path("verwaltung/formulare/", include("kreiswerk.assistants.urls")),
    path("verwaltung/eingaenge/", include("kreiswerk.submissions.urls")),
    path("verwaltung/vorgaenge/", include("kreiswerk.cases.urls")),
    path("verwaltung/aussonderung/", include("kreiswerk.archive.urls")),
    path("zahlung/", include("kreiswerk.payments.urls")),
    path("verwaltung/kasse/", include("kreiswerk.payments.staff_urls")),
    path("mein-antrag/", include("kreiswerk.applicant.urls")),
    path("anmeldung/", include("kreiswerk.identity.urls")),
    path("postfach/", identity_views.mailbox, name="mailbox"),
    path("verwaltung/uebergaben/", include("kreiswerk.handoff.urls")),
    path("verwaltung/cockpit/", include("kreiswerk.cockpit.urls")),
    path("verwaltung/api-zugaenge/", include("kreiswerk.api.admin_urls")),
    path("api/", include("kreiswerk.api.urls")),
    path("", include("kreiswerk.runner.urls")),
]

handler400 = "kreiswerk.views.error_400"
handler403 = "kreiswerk.views.error_403"
handler404 = "kreiswerk.views.error_404"
handler500 = "kreiswerk.views.error_500"

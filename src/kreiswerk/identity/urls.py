from django.urls import path

from . import devidp_views, views

app_name = "identity"

urlpatterns = [
    path("saml/anmelden/", views.login, name="login"),
    path("saml/antwort/", views.acs, name="acs"),
    path("saml/abschliessen/<str:request_id>/", views.complete, name="complete"),
    path("saml/metadaten/", views.metadata, name="metadata"),
    path("oidc/antwort/", views.oidc_callback, name="oidc_callback"),
    path("abmelden/", views.logout, name="logout"),
    path("test-idp/sso/", devidp_views.sso, name="devidp_sso"),
    path("test-idp/metadaten/", devidp_views.metadata, name="devidp_metadata"),
]

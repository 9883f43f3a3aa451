"""Staff single sign-on with mozilla-django-oidc's views; the second factor follows as after a password."""

from django.http import Http404
from django.urls import path
from mozilla_django_oidc import views as oidc_views

from kreiswerk.accounts.views import first_factor_passed, safe_next_url

from .oidc import staff_enabled


class StaffCallback(oidc_views.OIDCAuthenticationCallbackView):
    def login_success(self):
        # The provider vouched for the account; our TOTP step still decides, as for every staff login.
        next_url = safe_next_url(self.request, self.request.session.pop("oidc_login_next", None))
        return first_factor_passed(self.request, self.user, next_url=next_url)


def _only_when_configured(view):
    def wrapper(request, *args, **kwargs):
        if not staff_enabled():
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


app_name = "staff_sso"

urlpatterns = [
    path(
        "anmelden/",
        _only_when_configured(oidc_views.OIDCAuthenticationRequestView.as_view()),
        name="oidc_authentication_init",
    ),
    path("antwort/", _only_when_configured(StaffCallback.as_view()), name="oidc_authentication_callback"),
]

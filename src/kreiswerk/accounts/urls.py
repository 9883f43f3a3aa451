from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("anmelden/", views.login_view, name="login"),
    path("anmelden/code/", views.otp_view, name="otp"),
    path("abmelden/", views.logout_view, name="logout"),
    path("", views.home, name="home"),
]

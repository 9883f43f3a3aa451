from django.urls import path

from . import views

app_name = "applicant"

urlpatterns = [
    path("<uuid:submission_id>/<str:token>/", views.status, name="status"),
    path("<uuid:submission_id>/<str:token>/rueckfrage/<uuid:inquiry_id>/", views.inquiry_page, name="inquiry"),
    path("<uuid:submission_id>/<str:token>/dokumente/<uuid:document_id>/", views.document, name="document"),
]

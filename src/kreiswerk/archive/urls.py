from django.urls import path

from . import views

app_name = "archive"

urlpatterns = [
    path("", views.review_list, name="reviews"),
    path("<int:review_id>/", views.review_detail, name="review"),
    path("<int:review_id>/entscheiden/", views.review_decide, name="decide"),
    path("<int:review_id>/vernichten/", views.review_destroy, name="destroy"),
    path("<int:review_id>/uebergeben/", views.review_hand_over, name="hand_over"),
    path("<int:review_id>/uebernahme-bestaetigen/", views.review_confirm, name="confirm"),
    path("loeschnachweise/", views.record_list, name="records"),
    path("loeschnachweise/<int:record_id>/", views.record_detail, name="record"),
    path("akten/<uuid:akte_id>/paket.zip", views.akte_package, name="akte_package"),
]

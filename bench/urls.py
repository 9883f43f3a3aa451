"""The product's URLs plus the two baseline views the benchmark compares against."""

from django.urls import path

from bench.baselineapp import views
from kreiswerk.urls import handler400, handler403, handler404, handler500  # noqa: F401
from kreiswerk.urls import urlpatterns as product_urlpatterns

urlpatterns = [
    path("bench/baseline/insert", views.insert, name="bench_baseline_insert"),
    path("bench/baseline/render", views.render_trivial, name="bench_baseline_render"),
    *product_urlpatterns,
]

"""/metrics (Prometheus), outside the console's prefix where scrapers expect it."""

from django.urls import path

from .metrics import metrics

urlpatterns = [path("", metrics, name="metrics")]

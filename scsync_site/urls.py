"""Project URLs: the admin (the console) and the sync-errors console pages."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from health_check.views import HealthCheckView

# /health/: the database, the broker, and a live worker and Beat (changeevents.health_checks); 500 when any fails.
HEALTH_CHECKS = [
    "health_check.checks.Database",
    "changeevents.health_checks.Broker",
    "changeevents.health_checks.WorkerHeartbeat",
    "changeevents.health_checks.BeatHeartbeat",
]

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("console/", include("syncerrors.urls")),
    path("health/", HealthCheckView.as_view(checks=HEALTH_CHECKS), name="health"),
    path("metrics", include("syncerrors.metrics_urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

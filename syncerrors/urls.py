"""Console pages outside the admin (built with django-filter), and their JSON for embedding."""

from django.urls import path

from . import views

app_name = "syncerrors"
urlpatterns = [
    path("errors/", views.error_list, name="error_list"),
    path("errors.csv", views.error_csv, name="error_csv"),
    path("api/errors/", views.error_api, name="error_api"),
]

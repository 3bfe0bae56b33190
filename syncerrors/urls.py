"""Console pages outside the admin (built with django-filter)."""

app_name = "syncerrors"
urlpatterns: list = []

"""Shared fixtures: the emulated org, a staff user bound to a store, and a logged-in admin."""

import pytest

from tests.factories import StoreFactory, UserFactory


@pytest.fixture
def store(db):
    return StoreFactory()


@pytest.fixture
def org(store):
    return store.org


@pytest.fixture
def store_staff(db, store):
    """A staff user (not a superuser) who manages `store` and may view the website's records."""
    from django.contrib.auth.models import Permission

    user = UserFactory(username="manager")
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["storefront", "syncerrors"]))
    store.managers.add(user)
    return user

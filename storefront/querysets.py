"""Named querysets for the website's records: who may see what."""

from django.db import models
from django.db.models import Q

from connectors.models import SalesforceOrg, Store


class OrgScopedQuerySet(models.QuerySet):
    """Records shared by all stores of an org (Accounts, Contacts, products, price books)."""

    def for_org(self, org):
        return self.filter(org=org)

    def visible_to(self, user):
        """Superusers see everything; staff see the records of the orgs whose stores they manage."""
        if user.is_superuser:
            return self
        return self.filter(org__in=SalesforceOrg.objects.visible_to(user).values("pk"))


class StoreScopedQuerySet(OrgScopedQuerySet):
    """Records a store owns. A model names the path to its store with `store_path` (default "store").

    A record with no store (a lead captured outside any store) is treated as the org's: staff of any of
    the org's stores see it.
    """

    def visible_to(self, user):
        if user.is_superuser:
            return self
        path = getattr(self.model, "store_path", "store")
        managed = Store.objects.managed_by(user).values("pk")
        visible = Q(**{f"{path}__in": managed})
        if self.model._meta.get_field(path.split("__")[0]).null:
            orgs = SalesforceOrg.objects.visible_to(user).values("pk")
            visible |= Q(**{f"{path}__isnull": True, "org__in": orgs})
        return self.filter(visible)

    def for_store(self, store):
        path = getattr(self.model, "store_path", "store")
        return self.filter(**{path: store})

"""The one visibility rule of the console, applied by the admin site to every ModelAdmin it registers.

The rule: a model's rows reach a user through its queryset's `visible_to(user)` (superusers see everything; staff
the records and errors of the stores they manage, plus the org-shared records of those stores' orgs). A model
whose queryset has no `visible_to` (users, groups, Beat schedules) is for superusers only.

What the console site (scsync_site.admin_site) does with it, so no ModelAdmin can forget:
- changelists, change, delete and history pages, actions and autocomplete go through `visible_to`;
- every foreign-key and many-to-many choice, in forms and inlines, is limited to what the user may see;
- list filters on a relation offer only the values found in the rows the user sees;
- `superuser_only = {"add", "change", "delete"}` on a ModelAdmin or inline reserves those to superusers, and
  `superuser_only_fields` makes fields read-only for everyone else (credentials, connector secrets, a store's org
  and managers).
Custom admin views apply `visible_to` themselves (the sync-error info view does).
"""

from __future__ import annotations

import functools
from collections import defaultdict

from django.contrib import admin
from django.contrib.admin.utils import NestedObjects
from django.core.exceptions import FieldDoesNotExist
from django.db import models, router
from django.utils.translation import gettext_lazy as _


def visible(model, user) -> models.QuerySet:
    """The rows of `model` the user may see: through its queryset's visible_to, or none unless a superuser."""
    queryset = model._default_manager.all()
    if is_tenant_scoped(model):
        return queryset.visible_to(user)
    return queryset if user.is_superuser else queryset.none()


def is_tenant_scoped(model) -> bool:
    return hasattr(model._default_manager.all(), "visible_to")


class _ScopedChoices:
    """Foreign-key and many-to-many choices, read-only fields and reserved permissions (admins and inlines)."""

    # (read with getattr: the mixin comes first in the MRO, so a default here would hide the admin's own value)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not request.user.is_superuser:  # superusers keep Django's choices, in the related admin's order
            kwargs["queryset"] = visible(db_field.related_model, request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if not request.user.is_superuser:
            kwargs["queryset"] = visible(db_field.related_model, request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        if request.user.is_superuser:
            return fields
        reserved = getattr(self, "superuser_only_fields", ())
        return fields + tuple(f for f in reserved if f not in fields)

    def _reserved(self, request, permission: str) -> bool:
        return permission in getattr(self, "superuser_only", ()) and not request.user.is_superuser

    def has_add_permission(self, request, *obj):  # a ModelAdmin's takes (request), an inline's (request, obj)
        return not self._reserved(request, "add") and super().has_add_permission(request, *obj)

    def has_change_permission(self, request, obj=None):
        return not self._reserved(request, "change") and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._reserved(request, "delete") and super().has_delete_permission(request, obj)


class TenantInline(_ScopedChoices):
    """Mixed into every inline of a tenant-scoped admin: rows the user may see (when the inline's model says)."""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset.visible_to(request.user) if is_tenant_scoped(self.model) else queryset


@functools.cache
def tenant_inline(inline_class):
    return type(inline_class.__name__, (TenantInline, inline_class), {"__module__": inline_class.__module__})


class TenantAdmin(_ScopedChoices):
    """Mixed into the ModelAdmin of every model whose queryset has visible_to."""

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def get_inlines(self, request, obj):
        return [tenant_inline(inline) for inline in super().get_inlines(request, obj)]

    def get_list_filter(self, request):
        return [_scoped_filter(self.model, entry) for entry in super().get_list_filter(request)]

    def get_deleted_objects(self, objs, request):
        """The delete confirmation lists what a delete takes with it: when that reaches a row the user may not see
        (an org-shared Account whose orders belong to another store), it names none of them and refuses."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if request.user.is_superuser or not _reaches_unseen_rows(objs, request.user, self.model):
            return deleted, counts, perms_needed, protected
        return [str(obj) for obj in objs], {}, {_("records of stores you do not manage")}, []


def _reaches_unseen_rows(objs, user, model) -> bool:
    """Would deleting `objs` delete or be stopped by a row the user may not see? A row of a model without
    visible_to counts as seen when every tenant-scoped row it points at is (a stock reservation of a visible line)."""
    collector = NestedObjects(using=router.db_for_write(model))
    collector.collect(objs)
    found: dict = defaultdict(set)
    for obj in [o for objects in collector.data.values() for o in objects] + list(collector.protected):
        if is_tenant_scoped(type(obj)):
            found[type(obj)].add(obj.pk)
            continue
        for field in type(obj)._meta.concrete_fields:
            target = getattr(obj, field.attname) if field.many_to_one or field.one_to_one else None
            if target is not None and is_tenant_scoped(field.related_model):
                found[field.related_model].add(target)
    return any(visible(found_model, user).filter(pk__in=pks).count() < len(pks) for found_model, pks in found.items())


def _scoped_filter(model, entry):
    """A list filter on a relation lists only the related rows found in the user's rows (never other tenants')."""
    name, filter_class = (
        (entry, None) if isinstance(entry, str) else entry if isinstance(entry, tuple) else (None, None)
    )
    if name is None or filter_class is admin.RelatedOnlyFieldListFilter:
        return entry
    try:
        field = _field_at(model, name)
    except LookupError:
        return entry
    if field.is_relation and (filter_class is None or filter_class is admin.RelatedFieldListFilter):
        return (name, admin.RelatedOnlyFieldListFilter)
    return entry


def _field_at(model, path: str):
    field = None
    for step in path.split("__"):
        if field is not None:
            model = field.related_model
        try:
            field = model._meta.get_field(step)
        except FieldDoesNotExist as exc:  # a callable's or a custom filter's name
            raise LookupError(path) from exc
    return field


class SuperuserOnlyAdmin:
    """Mixed into the ModelAdmin of every model without visible_to: nobody but a superuser sees it."""

    def has_module_permission(self, request):
        return request.user.is_superuser and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return request.user.is_superuser and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_delete_permission(request, obj)


def scoped_admin_class(model, admin_class):
    """The admin class the console registers for `model`: the given one with the rule mixed in first."""
    mixin = TenantAdmin if is_tenant_scoped(model) else SuperuserOnlyAdmin
    if issubclass(admin_class, mixin):
        return admin_class
    return type(admin_class.__name__, (mixin, admin_class), {"__module__": admin_class.__module__})

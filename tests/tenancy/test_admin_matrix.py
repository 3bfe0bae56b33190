"""The two-tenant matrix, generated from the admin registry: as staff A (every permission, not a superuser), walk
every URL the admin exposes for every registered model, with tenant B's ids, and the console's pages.

Asserted: no response shows anything of tenant B (all of it carries the word "zulu"), no form offers one of B's
rows as a choice, and no table changes (every row of every model is the same afterwards). A model registered
later is walked without editing this test.
"""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.sessions.models import Session
from django.forms import ModelChoiceField
from django.test import Client
from django.urls import NoReverseMatch, reverse

from tests.tenancy import world

pytestmark = pytest.mark.django_db
MARK = world.MARK
STANDARD_VIEWS = ("changelist", "add", "change", "delete", "history")
CSRF_TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="[A-Za-z0-9]+"')


def tenant_b_rows(model) -> list[int]:
    """The pks of B's rows: those whose values carry the mark (read as a superuser would)."""
    pk = model._meta.pk.attname
    return [row[pk] for row in model._default_manager.values() if MARK in str(row).lower()]


def snapshot() -> dict:
    ignored = {LogEntry, Session}
    return {
        model._meta.label: list(model._default_manager.order_by("pk").values())
        for model in apps.get_models()
        if model not in ignored
    }


class Walk:
    def __init__(self, client: Client):
        self.client, self.visited, self.leaks = client, 0, []

    def check(self, response, what: str):
        self.visited += 1
        body = b"".join(response.streaming_content) if response.streaming else response.content
        body = CSRF_TOKEN.sub(b"", body)  # 64 random letters and digits spell "zulu" once in ~15,000 pages
        at = body.lower().find(MARK.encode())
        if at >= 0:
            self.leaks.append(f"{what}: ...{body[max(at - 60, 0) : at + 40].decode(errors='replace')}...")
        if response.status_code >= 500:
            self.leaks.append(f"{what}: HTTP {response.status_code}")
        return response

    def get(self, url, data=None):
        return self.check(self.client.get(url, data or {}, follow=True), f"GET {url} {data or ''}")

    def post(self, url, data=None):
        return self.check(self.client.post(url, data or {}, follow=True), f"POST {url} {data or ''}")


def offered_choices(response) -> list[str]:
    """Every model choice a form on the page offers (admin form and inline forms) that is one of B's rows."""
    context = response.context
    if context is None or "adminform" not in context:
        return []
    forms = [context["adminform"].form]
    for inline in context.get("inline_admin_formsets", []):
        forms += list(inline.formset.forms) + [inline.formset.empty_form]
    found = []
    for form in forms:
        for name, field in form.fields.items():
            # an inline row's hidden id names the row itself; Django edits only rows of the parent's formset
            if name == form._meta.model._meta.pk.name:
                continue
            if isinstance(field, ModelChoiceField):
                b_rows = set(tenant_b_rows(field.queryset.model))
                offered = set(field.queryset.values_list("pk", flat=True)) & b_rows
                if offered:
                    found.append(f"{form.__class__.__name__}.{name} offers {sorted(offered)}")
    return found


def test_admin_two_tenant_matrix_staff_a_reach_nothing_of_tenant_b(client):
    tenants = world.build()
    client.force_login(tenants.staff_a)
    walk = Walk(client)
    before = snapshot()
    offered = []
    own_pages_with_rows = 0

    walk.get(reverse("admin:index"))
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        prefix = f"admin:{opts.app_label}_{opts.model_name}"
        b_rows = tenant_b_rows(model)
        walk.get(reverse("admin:app_list", args=[opts.app_label]))

        listing = walk.get(reverse(f"{prefix}_changelist"))
        if listing.status_code == 200 and "alpha" in listing.content.decode().lower():
            own_pages_with_rows += 1
        # every list filter's own choices, then each relation filter forged with B's related ids
        changelist = listing.context["cl"] if listing.context and "cl" in listing.context else None
        for spec in changelist.filter_specs if changelist else []:
            for choice in spec.choices(changelist):
                walk.get(reverse(f"{prefix}_changelist") + choice["query_string"])
            field = getattr(spec, "field", None)
            if field is not None and field.is_relation:
                for pk in tenant_b_rows(field.related_model):
                    walk.get(reverse(f"{prefix}_changelist"), {spec.lookup_kwarg: pk})
        walk.get(reverse(f"{prefix}_changelist"), {"q": MARK[:3]})

        add = walk.get(reverse(f"{prefix}_add"))
        offered += offered_choices(add)
        for pk in b_rows:
            for view in ("change", "delete", "history"):
                walk.get(reverse(f"{prefix}_{view}", args=[pk]))
            walk.post(reverse(f"{prefix}_change", args=[pk]), {"name": "changed by A"})
            walk.post(reverse(f"{prefix}_delete", args=[pk]), {"post": "yes"})

        # A's own change pages: no choice of B's rows in any form or inline
        mine = model_admin.get_queryset(_request_of(tenants.staff_a)).values_list("pk", flat=True)[:1]
        for pk in mine:
            offered += offered_choices(walk.get(reverse(f"{prefix}_change", args=[pk])))

        # every action, posted with B's ids; and "all rows" of a list searched for B's mark (empty for A)
        request = _request_of(tenants.staff_a)
        for name in model_admin.get_actions(request):
            data = {"action": name, "_selected_action": b_rows or [0], "index": 0}
            walk.post(reverse(f"{prefix}_changelist"), data)
            if model_admin.get_search_fields(request):
                walk.post(reverse(f"{prefix}_changelist") + f"?q={MARK[:3]}", {**data, "select_across": 1})

        # autocomplete of every autocomplete field this admin (and its inlines) declares
        sources = [(model, model_admin.autocomplete_fields)]
        sources += [(inline.model, inline.autocomplete_fields) for inline in model_admin.inlines]
        for source, fields in sources:
            for field_name in fields:
                for term in ("", MARK[:3]):
                    walk.get(
                        reverse("admin:autocomplete"),
                        {"app_label": source._meta.app_label, "model_name": source._meta.model_name,
                         "field_name": field_name, "term": term},
                    )  # fmt: skip

        # every custom view of the admin, with B's ids, by GET and POST
        for pattern in model_admin.get_urls():
            name = pattern.name or ""
            if not name or any(name == f"{opts.app_label}_{opts.model_name}_{v}" for v in STANDARD_VIEWS):
                continue
            for pk in b_rows:
                try:
                    url = reverse(f"admin:{name}", args=[pk])
                except NoReverseMatch:
                    continue
                walk.get(url)
                walk.post(url)

    # the console's pages, the CSV and the JSON, filtered and forged
    for pk in tenant_b_rows(apps.get_model("connectors", "Store")):
        walk.get(reverse("syncerrors:error_list"), {"store": pk, "resolved": 1})
        walk.get(reverse("syncerrors:error_csv"), {"store": pk, "resolved": 1})
    walk.get(reverse("syncerrors:error_list"), {"q": MARK[:3]})
    walk.get(reverse("syncerrors:error_csv"))

    models = len(admin.site._registry)
    print(f"\ntenancy matrix: {walk.visited} requests over {models} admin models, {len(walk.leaks)} leaks")
    assert walk.leaks == [], "\n".join(walk.leaks)
    assert offered == [], "\n".join(offered)
    assert snapshot() == before, "a request of staff A changed a table"
    assert walk.visited > 300 and own_pages_with_rows >= 15  # the walk reached A's own rows on most pages


def _request_of(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    return request

"""The console page outside the admin: django-filter filters, shareable URLs, CSV export, scoping."""

import csv
import io

import pytest
from django.urls import reverse

from tests.console.factories import failed_contact
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db


def test_console_page_filters_by_get_parameters(admin_client, store):
    _, duplicate = failed_contact(store, code="DUPLICATES_DETECTED")
    failed_contact(store)

    response = admin_client.get(reverse("syncerrors:error_list"), {"status_code": "DUPLICATES_DETECTED"})

    assert [e.pk for e in response.context["page"]] == [duplicate.pk]
    assert "status_code=DUPLICATES_DETECTED" in response.context["query"]


def test_console_page_csv_export_of_the_filtered_errors(admin_client, store):
    contact, _ = failed_contact(store, code="DUPLICATES_DETECTED", message="Use one of these records?")
    failed_contact(store)

    response = admin_client.get(reverse("syncerrors:error_csv"), {"status_code": "DUPLICATES_DETECTED"})

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:6] == ["Object", "Event Type", "Processed At", "Salesforce ID", "StoreConnect ID", "Status Code"]
    assert [(r[0], r[4], r[5], r[6]) for r in rows[1:]] == [
        ("Contact", contact.scid, "DUPLICATES_DETECTED", "Use one of these records?")
    ]


def test_console_page_staff_see_and_export_only_their_stores(client, store, store_staff):
    _, mine = failed_contact(store)
    _, theirs = failed_contact(StoreFactory())
    client.force_login(store_staff)

    page = client.get(reverse("syncerrors:error_list"))
    forged = client.get(reverse("syncerrors:error_csv"), {"q": theirs.scid})

    assert [e.pk for e in page.context["page"]] == [mine.pk]
    assert len(list(csv.reader(io.StringIO(b"".join(forged.streaming_content).decode())))) == 1


def test_console_page_needs_a_staff_login(client):
    response = client.get(reverse("syncerrors:error_list"))

    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_console_page_csv_neutralises_formulas_in_every_column(admin_client, store):
    failed_contact(store, code="=HYPERLINK", message='=HYPERLINK("http://evil.example","x")')
    failed_contact(store, code="+SUM", message="@cmd|' /C calc'!A0")
    failed_contact(store, code="-1", message="\tTAB")

    response = admin_client.get(reverse("syncerrors:error_csv"))

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    cells = [cell for row in rows[1:] for cell in (row[5], row[6])]
    assert sorted(cells) == sorted(
        ["'=HYPERLINK", '\'=HYPERLINK("http://evil.example","x")', "'+SUM", "'@cmd|' /C calc'!A0", "'-1", "'\tTAB"]
    )
    assert all(not cell.startswith(("=", "+", "-", "@", "\t")) for row in rows for cell in row)

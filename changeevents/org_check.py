"""Checking an org before syncing: authenticate, describe every mapped object, and report what would fail.

Per object: fields the mapping sends that the org lacks, External_ID__c missing or not an external ID, and the
picklist values the website uses (its choices, and the values its records hold) that the org's picklist lacks.
Then the org's API usage. One composite/batch call describes up to 25 objects, so a check costs two or three
API calls. Used by the org admin's "Test connection" and `manage.py check_org`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ImproperlyConfigured

from connectors.models import SalesforceOrg
from connectors.salesforce import SalesforceCallError, client_for_org

from .registry import CURRENCY_FIELD, MASTER_RECORD_FIELD, STORE_FIELD, SyncMapping, registry

BATCH_LIMIT = 25


@dataclass
class ObjectCheck:
    sobject: str
    problems: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.sobject}: {'; '.join(self.problems) or 'ok'}"


@dataclass
class OrgCheck:
    org: SalesforceOrg
    error: str = ""  # the org could not be reached or authenticated
    objects: list[ObjectCheck] = field(default_factory=list)
    api_usage: tuple[int, int] | None = None
    multi_currency: bool | None = None

    @property
    def problems(self) -> list[str]:
        if self.error:
            return [self.error]
        return [f"{o.sobject}: {p}" for o in self.objects for p in o.problems]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def usage_text(self) -> str:
        if self.api_usage is None:
            return "API usage unknown"
        used, total = self.api_usage
        return f"API usage {used:,} of {total:,} daily requests"

    def summary(self) -> str:
        """One line: whether the org is ready, how many problems, and the API usage."""
        if self.error:
            return f"{self.org.name}: cannot connect: {self.error}"
        count = len(self.problems)
        state = "ready to sync" if not count else f"{count} problem(s) in {len(self.objects)} objects"
        return f"{self.org.name}: {state}; {self.usage_text}"


def check_org(org: SalesforceOrg) -> OrgCheck:
    """Check the org against the sync mappings; records whether it is multi-currency (its Order has
    CurrencyIsoCode). Never raises for an org that cannot be reached: the check says why."""
    result = OrgCheck(org)
    try:
        client = client_for_org(org)
        mappings = sorted(registry.all(), key=lambda m: m.sobject)
        describes = _describe(client, [m.sobject for m in mappings])
        limits = client.call("limits/")
    except (ImproperlyConfigured, SalesforceCallError) as exc:
        result.error = str(exc.failure.message if isinstance(exc, SalesforceCallError) else exc)
        return result
    for mapping in mappings:
        result.objects.append(_check_object(org, mapping, describes[mapping.sobject]))
    requests = (limits or {}).get("DailyApiRequests") or {}
    if "Max" in requests:
        result.api_usage = (requests["Max"] - requests.get("Remaining", 0), requests["Max"])
    order = describes.get("Order")
    if isinstance(order, dict):
        result.multi_currency = CURRENCY_FIELD in {f["name"] for f in order["fields"]}
        if result.multi_currency != org.multi_currency:
            SalesforceOrg.objects.filter(pk=org.pk).update(multi_currency=result.multi_currency)
            org.multi_currency = result.multi_currency
    return result


def _describe(client, sobjects: list[str]) -> dict[str, dict | str]:
    """Each object's describe, or the org's error for it, in composite/batch calls of up to 25."""
    described: dict[str, dict | str] = {}
    version = client.connection.api_version
    for start in range(0, len(sobjects), BATCH_LIMIT):
        chunk = sobjects[start : start + BATCH_LIMIT]
        results = client.composite_batch([{"method": "GET", "url": f"v{version}/sobjects/{s}/describe"} for s in chunk])
        for sobject, answer in zip(chunk, results, strict=True):
            if answer["statusCode"] >= 400:
                error = (answer.get("result") or [{}])[0]
                described[sobject] = f"{error.get('errorCode', 'ERROR')}: {error.get('message', '')}"
            else:
                described[sobject] = answer["result"]
    return described


def _check_object(org, mapping: SyncMapping, describe: dict | str) -> ObjectCheck:
    check = ObjectCheck(mapping.sobject)
    if isinstance(describe, str):
        check.problems.append(f"the org has no such object ({describe})")
        return check
    fields = {f["name"]: f for f in describe["fields"]}
    wanted = [*mapping.fields.values(), *(link.lookup for link in mapping.parents)]
    if mapping.sends_store:
        wanted.append(STORE_FIELD)
    if mapping.mergeable:
        wanted.append(MASTER_RECORD_FIELD)  # read to move a merged record's children
    missing = [name for name in wanted if name not in fields]
    if missing:
        check.problems.append(f"missing field(s) {', '.join(missing)}")
    external = fields.get(mapping.external_id)
    if external is None:
        check.problems.append(f"{mapping.external_id} is missing")
    elif not external.get("externalId"):
        check.problems.append(f"{mapping.external_id} is not an external ID")
    for model_field, salesforce_field in mapping.fields.items():
        described = fields.get(salesforce_field)
        if not described or described.get("type") != "picklist":
            continue
        allowed = {v["value"] for v in described.get("picklistValues", []) if v.get("active", True)}
        lacking = sorted(_website_values(org, mapping, model_field) - allowed)
        if lacking:
            check.problems.append(f"{salesforce_field} lacks picklist value(s) the website uses: {', '.join(lacking)}")
    return check


def _website_values(org, mapping: SyncMapping, model_field: str) -> set[str]:
    """The values the website may send for a field: its choices, and what the org's records hold."""
    choices = {str(value) for value, _ in mapping.model._meta.get_field(model_field).choices or ()}
    held = mapping.model._default_manager.filter(org=org).values_list(model_field, flat=True).distinct()
    return (choices | {str(v) for v in held if v not in (None, "")}) - {""}

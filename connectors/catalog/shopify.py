"""The Shopify channel: Admin GraphQL productSet / productDelete, honouring cost-based throttling."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import requests
from tenacity import retry, retry_if_exception_type, stop_after_attempt

API_VERSION = "2025-01"
PRODUCT_SET = """
mutation productSet($input: ProductSetInput!, $identifier: ProductSetIdentifiers) {
  productSet(input: $input, identifier: $identifier, synchronous: true) {
    product { id handle status }
    userErrors { field message code }
  }
}"""
PRODUCT_DELETE = """
mutation productDelete($input: ProductDeleteInput!) {
  productDelete(input: $input) { deletedProductId userErrors { field message code } }
}"""


class ChannelError(Exception):
    """The channel could not be reached or refused the call as a whole."""


class Throttled(Exception):
    def __init__(self, wait_seconds: float):
        super().__init__(f"throttled; retry in {wait_seconds:.2f} s")
        self.wait_seconds = wait_seconds


@dataclass
class ChannelResult:
    ok: bool
    channel_id: str = ""
    cost: float = 0.0
    errors: list[dict] = field(default_factory=list)

    @property
    def message(self) -> str:
        return "; ".join(e.get("message", "") for e in self.errors)


def _wait(retry_state) -> float:
    """THROTTLED: as long as the bucket needs to refill for this call; a 5xx: a short backoff."""
    error = retry_state.outcome.exception()
    if isinstance(error, Throttled):
        return min(error.wait_seconds + 0.01, 5.0)
    return min(0.1 * 2**retry_state.attempt_number, 2.0)


class ShopifyChannel:
    def __init__(self, shop_url: str, access_token: str, ca_file: str | None = None, timeout=(5, 30), locale: str = ""):
        self.endpoint = f"{shop_url.rstrip('/')}/admin/api/{API_VERSION}/graphql.json"
        self.session = requests.Session()
        self.session.headers.update({"X-Shopify-Access-Token": access_token, "Content-Type": "application/json"})
        if locale:  # the store's language: the channel's locale, which Shopify answers (user errors) in
            self.session.headers["Accept-Language"] = locale
        if ca_file:
            self.session.verify = ca_file
            self.session.trust_env = False  # REQUESTS_CA_BUNDLE would override a private CA otherwise
        self.timeout = timeout
        self.cost_spent = 0.0
        self.calls = 0

    def product_set(self, product: dict, channel_id: str = "") -> ChannelResult:
        variables = {"input": product, "identifier": {"id": channel_id} if channel_id else None}
        data, cost = self._execute(PRODUCT_SET, variables)
        payload = data["productSet"]
        node = payload.get("product") or {}
        return ChannelResult(not payload["userErrors"], node.get("id", ""), cost, payload["userErrors"])

    def product_delete(self, channel_id: str) -> ChannelResult:
        data, cost = self._execute(PRODUCT_DELETE, {"input": {"id": channel_id}})
        payload = data["productDelete"]
        not_found = any(e.get("code") == "NOT_FOUND" for e in payload["userErrors"])
        return ChannelResult(
            not payload["userErrors"] or not_found, channel_id, cost, [] if not_found else payload["userErrors"]
        )

    @retry(
        retry=retry_if_exception_type((Throttled, ChannelError)),
        stop=stop_after_attempt(6),
        wait=_wait,
        reraise=True,
    )
    def _execute(self, query: str, variables: dict) -> tuple[dict, float]:
        try:
            response = self.session.post(
                self.endpoint, json={"query": query, "variables": variables}, timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise ChannelError(f"Shopify could not be reached: {exc}") from exc
        self.calls += 1
        if response.status_code >= 500:
            raise ChannelError(f"Shopify answered HTTP {response.status_code}")
        if response.status_code != 200:
            raise PermissionError(f"Shopify refused the call (HTTP {response.status_code}): {response.text[:200]}")
        body = response.json()
        cost = body.get("extensions", {}).get("cost", {})
        status = cost.get("throttleStatus") or {}
        if any((e.get("extensions") or {}).get("code") == "THROTTLED" for e in body.get("errors") or []):
            needed = cost.get("requestedQueryCost", 10) - status.get("currentlyAvailable", 0)
            raise Throttled(max(needed, 0) / max(status.get("restoreRate", 50), 1))
        if body.get("errors"):
            raise PermissionError(f"Shopify rejected the query: {body['errors']}")
        spent = cost.get("actualQueryCost") or 0.0
        self.cost_spent += spent
        self._slow_down_if_low(status, cost.get("requestedQueryCost", 10))
        return body["data"], spent

    @staticmethod
    def _slow_down_if_low(status: dict, next_cost: float) -> None:
        """Wait proactively when the bucket would not hold the next call, instead of being throttled."""
        available, rate = status.get("currentlyAvailable"), status.get("restoreRate")
        if available is not None and rate and available < next_cost:
            time.sleep((next_cost - available) / rate)

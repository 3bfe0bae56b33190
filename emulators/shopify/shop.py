"""The shop's state: products, the cost bucket, injected failures, call and cost counters."""

from __future__ import annotations

import threading
import time


class Shop:
    def __init__(self, maximum: float = 2000.0, restore_rate: float = 100.0):
        self.lock = threading.Lock()
        self.maximum, self.restore_rate = maximum, restore_rate
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.products: dict[str, dict] = {}
            self.next_id = 1000
            self.available = self.maximum
            self.refilled_at = time.monotonic()
            self.calls = 0
            self.cost_spent = 0.0
            self.failures: list[dict] = []

    def _refill(self) -> None:
        now = time.monotonic()
        self.available = min(self.maximum, self.available + (now - self.refilled_at) * self.restore_rate)
        self.refilled_at = now

    def spend(self, cost: float) -> tuple[bool, dict]:
        """Take `cost` points from the bucket; False (throttled) when there are not enough."""
        with self.lock:
            self._refill()
            ok = self.available >= cost
            if ok:
                self.available -= cost
                self.cost_spent += cost
            status = {
                "maximumAvailable": self.maximum,
                "currentlyAvailable": round(self.available, 1),
                "restoreRate": self.restore_rate,
            }
            return ok, status

    def take_failure(self, kind: str, key: str = "") -> dict | None:
        with self.lock:
            for failure in self.failures:
                if failure["type"] != kind or (failure.get("match") and failure["match"] != key):
                    continue
                if failure.get("count", 1) > 0:
                    failure["count"] = failure.get("count", 1) - 1
                    return failure
        return None

    def product_set(
        self, product_input: dict, identifier: dict | None, locale: str = ""
    ) -> tuple[dict | None, list[dict]]:
        """Create or replace a product; `locale` is the Accept-Language it was written with (kept as
        `writtenInLocale`, which the control API's product list shows)."""
        title = product_input.get("title")
        if not title:
            return None, [{"field": ["input", "title"], "message": "Title can't be blank", "code": "BLANK"}]
        if product_input.get("status") not in (None, "ACTIVE", "DRAFT", "ARCHIVED"):
            return None, [{"field": ["input", "status"], "message": "Status is not valid", "code": "INVALID"}]
        with self.lock:
            product_id = (identifier or {}).get("id")
            if product_id and product_id not in self.products:
                return None, [{"field": ["identifier", "id"], "message": "Product does not exist", "code": "NOT_FOUND"}]
            if not product_id:
                product_id = f"gid://shopify/Product/{self.next_id}"
                self.next_id += 1
            product = {"id": product_id, **product_input, "writtenInLocale": locale}
            product["variants"] = [
                {"id": f"gid://shopify/ProductVariant/{abs(hash((product_id, n))) % 10**9}", **v}
                for n, v in enumerate(product_input.get("variants") or [])
            ]
            self.products[product_id] = product
            return product, []

    def product_delete(self, product_id: str) -> tuple[str | None, list[dict]]:
        with self.lock:
            if self.products.pop(product_id, None) is None:
                return None, [{"field": ["input", "id"], "message": "Product does not exist", "code": "NOT_FOUND"}]
            return product_id, []

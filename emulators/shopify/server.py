"""The HTTPS server of the emulated shop: /admin/api/<version>/graphql.json and a control API under /_emulator/."""

from __future__ import annotations

import json
import re
import secrets
import ssl
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import trustme

from ..access import CONTROL_TOKEN_HEADER, CONTROL_TOKEN_REFUSED, new_control_token, token_matches
from .shop import Shop

COSTS = {"productSet": 10.0, "productDelete": 10.0, "products": 5.0}
_OPERATION = re.compile(r"\b(productSet|productDelete|products)\b")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format, *args):  # noqa: A002
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        shop: Shop = self.server.shop
        if self.path.startswith("/_emulator/"):
            if not token_matches(self.server.control_token, self.headers.get(CONTROL_TOKEN_HEADER)):
                return self._send(401, {"error": CONTROL_TOKEN_REFUSED})
            return self._control(self.path[len("/_emulator/") :].strip("/"), body)
        if not re.match(r"^/admin/api/[\w-]+/graphql\.json$", self.path):
            return self._send(404, {"errors": "Not Found"})
        if self.headers.get("X-Shopify-Access-Token") != self.server.access_token:
            return self._send(
                401, {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
            )
        with shop.lock:
            shop.calls += 1
        if shop.take_failure("http_5xx"):
            return self._send(503, {"errors": "Service Unavailable"})
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            return self._send(400, {"errors": "Invalid JSON in request body"})
        match = _OPERATION.search(request.get("query") or "")
        if not match:
            return self._send(200, {"errors": [{"message": "Operation not supported by the emulated shop"}]})
        operation, variables = match.group(1), request.get("variables") or {}
        cost = COSTS[operation]
        forced = shop.take_failure("throttle")
        ok, status = shop.spend(cost) if not forced else (False, shop.spend(0)[1])
        extensions = {
            "cost": {"requestedQueryCost": cost, "actualQueryCost": cost if ok else None, "throttleStatus": status}
        }
        if not ok:
            return self._send(
                200,
                {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}], "extensions": extensions},
            )
        return self._send(200, {"data": self._run(shop, operation, variables), "extensions": extensions})

    def _run(self, shop: Shop, operation: str, variables: dict) -> dict:
        if operation == "productSet":
            product_input = variables.get("input") or variables.get("productSet") or {}
            injected = shop.take_failure("user_error", product_input.get("handle", ""))
            if injected:
                errors = [
                    {"field": ["input"], "message": injected.get("message", "Invalid product"), "code": "INVALID"}
                ]
                return {"productSet": {"product": None, "userErrors": errors}}
            locale = self.headers.get("Accept-Language", "")
            product, errors = shop.product_set(product_input, variables.get("identifier"), locale)
            shaped = (
                {"id": product["id"], "handle": product.get("handle"), "status": product.get("status")}
                if product
                else None
            )
            return {"productSet": {"product": shaped, "userErrors": errors}}
        if operation == "productDelete":
            deleted, errors = shop.product_delete((variables.get("input") or {}).get("id", ""))
            return {"productDelete": {"deletedProductId": deleted, "userErrors": errors}}
        nodes = [{"id": p["id"], "title": p.get("title"), "status": p.get("status")} for p in shop.products.values()]
        return {"products": {"nodes": nodes}}

    def _control(self, name: str, body: bytes) -> None:
        control = self.server.control
        if name not in ("reset", "products", "stats", "inject_failure"):
            return self._send(404, {"error": f"unknown control method {name!r}"})
        try:
            result = getattr(control, name)(**json.loads(body or b"{}"))
        except (TypeError, ValueError) as exc:
            return self._send(400, {"error": str(exc)})
        self._send(200, {"result": result})

    def _send(self, status: int, payload) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class ShopControl:
    def __init__(self, shop: Shop):
        self.shop = shop

    def reset(self) -> None:
        self.shop.reset()

    def products(self) -> list[dict]:
        with self.shop.lock:
            return [dict(p) for p in self.shop.products.values()]

    def stats(self) -> dict:
        return {"calls": self.shop.calls, "cost": self.shop.cost_spent}

    def inject_failure(self, failure: dict) -> None:
        """{"type": "http_5xx" | "throttle" | "user_error", "count": N, "match": handle (user_error)}"""
        if failure.get("type") not in ("http_5xx", "throttle", "user_error"):
            raise ValueError(f"unknown failure type {failure.get('type')!r}")
        with self.shop.lock:
            self.shop.failures.append(dict(failure))


class EmulatedShop:
    """https://127.0.0.1:PORT with a generated CA; `.shop_url`, `.access_token`, `.ca_file`, `.control`."""

    def __init__(
        self,
        port: int = 0,
        maximum: float = 2000.0,
        restore_rate: float = 100.0,
        access_token: str | None = None,
        ca_copy: str | Path | None = None,
        control_token: str | None = None,
    ):
        self.port = port
        self.shop = Shop(maximum, restore_rate)
        self.control = ShopControl(self.shop)
        self.access_token = access_token or "shpat_" + secrets.token_hex(16)
        self.ca_copy = Path(ca_copy) if ca_copy else None
        self.control_token = control_token or new_control_token()
        self._tmp = tempfile.TemporaryDirectory(prefix="shop-emulator-")
        self.ca_file = Path(self._tmp.name) / "ca.pem"

    def start(self) -> EmulatedShop:
        ca = trustme.CA()
        ca.cert_pem.write_to_path(str(self.ca_file))
        if self.ca_copy:
            self.ca_copy.parent.mkdir(parents=True, exist_ok=True)
            ca.cert_pem.write_to_path(str(self.ca_copy))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), _Handler)
        self.server.daemon_threads = True
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.server.shop, self.server.control, self.server.access_token = self.shop, self.control, self.access_token
        self.server.control_token = self.control_token
        self.port = self.server.server_address[1]
        self.shop_url = f"https://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._tmp.cleanup()

    def __enter__(self) -> EmulatedShop:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

"""An emulated Shopify Admin GraphQL endpoint (HTTPS on loopback), only what the catalog channel uses.

It recognises the operation by the mutation/query name in the document and reads `variables`; it does not
parse GraphQL. Cost-based throttling is a leaky bucket, answered like Shopify (THROTTLED, throttleStatus).
"""

from .server import EmulatedShop

__all__ = ["EmulatedShop"]

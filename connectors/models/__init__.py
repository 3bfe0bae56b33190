"""Models of the connectors app, one module per concern."""

from .org import SalesforceOrg, Store  # noqa: F401

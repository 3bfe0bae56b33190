"""Models of the connectors app, one module per concern."""

from .catalog import CatalogConnector, ConnectorItemState, ConnectorRun  # noqa: F401
from .leases import LeasedKey  # noqa: F401
from .org import SalesforceOrg, Store  # noqa: F401

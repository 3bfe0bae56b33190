"""Models of the connectors app, one module per concern."""

from .catalog import CatalogConnector, ConnectorItemState, ConnectorRun  # noqa: F401
from .leases import LeasedKey  # noqa: F401
from .org import SalesforceOrg, Store, store_or_shared_of_their_orgs  # noqa: F401

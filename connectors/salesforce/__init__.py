"""The Salesforce client: simple-salesforce sessions built from an org's settings, with normalised errors."""

from .client import SalesforceClient, client_for_org, forget_clients  # noqa: F401
from .results import PARTIAL, RecordResult, SalesforceCallError, SalesforceFailure  # noqa: F401

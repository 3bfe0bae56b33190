"""pytest fixtures: `emulated_org`, one emulated org per test session, emptied before each test; `org_schema`, the
default schema to change for one test (load it with `emulated_org.control.load_schema`), put back afterwards."""

import json

import pytest

from .org import DEFAULT_SCHEMA
from .server import EmulatedOrg


@pytest.fixture(scope="session")
def _emulated_org_server():
    with EmulatedOrg() as org:
        yield org


@pytest.fixture
def emulated_org(_emulated_org_server):
    org = _emulated_org_server
    org.control.reset()
    org.org.sessions.add(org.session_id)
    yield org
    org.control.reset()


@pytest.fixture
def org_schema(emulated_org):
    """A copy of the default schema to change; the emulated org gets the default back after the test."""
    yield json.loads(DEFAULT_SCHEMA.read_text())
    emulated_org.control.load_schema(json.loads(DEFAULT_SCHEMA.read_text()))

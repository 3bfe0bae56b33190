"""pytest fixture `emulated_org`: one emulated org per test session, emptied before each test."""

import pytest

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

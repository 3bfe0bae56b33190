"""pytest fixture `emulated_shop`: one emulated shop per test session, emptied before each test."""

import pytest

from .server import EmulatedShop


@pytest.fixture(scope="session")
def _emulated_shop_server():
    with EmulatedShop() as shop:
        yield shop


@pytest.fixture
def emulated_shop(_emulated_shop_server):
    _emulated_shop_server.control.reset()
    _emulated_shop_server.shop.maximum, _emulated_shop_server.shop.restore_rate = 2000.0, 100.0
    yield _emulated_shop_server

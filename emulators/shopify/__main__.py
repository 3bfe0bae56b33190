"""`python -m emulators.shopify [--port 8444] [--token T] [--ca-file PATH]`: run the emulated shop until Ctrl-C."""

import argparse

from ..signals import wait_for_stop
from .server import EmulatedShop


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m emulators.shopify", description="Run the emulated Shopify Admin GraphQL endpoint."
    )
    parser.add_argument("--port", type=int, default=8444)
    parser.add_argument("--token", help="the access token to accept (default: a random one, printed)")
    parser.add_argument("--ca-file", help="write the local CA here for clients to trust")
    options = parser.parse_args()
    shop = EmulatedShop(port=options.port, access_token=options.token, ca_copy=options.ca_file).start()
    print(f"Emulated Shopify shop at {shop.shop_url}")
    print(f"  access token: {shop.access_token}")
    print(f"  control token (header X-Emulator-Token): {shop.control_token}")
    print(f"  CA file:      {shop.ca_copy or shop.ca_file}", flush=True)
    try:
        wait_for_stop()
    finally:
        shop.stop()


main()

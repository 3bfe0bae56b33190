"""Standalone runner: prints the instance URL, a session id and the CA file, serves until Ctrl-C."""

import argparse

from ..signals import wait_for_stop


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m emulators.salesforce", description="Run the emulated Salesforce org."
    )
    parser.add_argument("--port", type=int, default=8443)
    parser.add_argument("--pubsub-port", type=int, default=7443, help="the Pub/Sub API's gRPC port (default 7443)")
    parser.add_argument("--state", help="keep the org in this JSON file across restarts")
    parser.add_argument("--rules", help="a JSON file of rules to load at start")
    parser.add_argument("--seed", choices=["demo"], help="seed data when the org starts empty")
    parser.add_argument(
        "--connection-file",
        help="write instance URL, session id and CA file here as JSON; the CA is copied beside it (emulator-ca.pem)",
    )
    parser.add_argument(
        "--io-timeout", type=float, help="seconds a TLS handshake, a request's head or body may take (default 30)"
    )
    parser.add_argument(
        "--bulk-in-progress-seconds",
        type=float,
        help="a Bulk API 2.0 job stays InProgress at least this long, so clients poll (default 0.25)",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request")
    return parser


def serve(options) -> None:
    """Start the org, print how to reach it, serve until Ctrl-C or SIGTERM, then save its state and stop."""
    from .server import EmulatedOrg

    org = EmulatedOrg(
        port=options.port,
        seed=options.seed,
        rules=options.rules,
        state_file=options.state,
        connection_file=options.connection_file,
        verbose=options.verbose,
        io_timeout=options.io_timeout,
        bulk_in_progress_seconds=options.bulk_in_progress_seconds,
        pubsub_port=options.pubsub_port,
    )
    org.start()
    print(f"Emulated Salesforce org at {org.instance_url}")
    print(f"  session id: {org.session_id}")
    print(f"  CA file:    {org.published_ca_file}")
    print(f"  Pub/Sub API: {org.pubsub_url} (gRPC, TLS with the same CA)")
    print(f"  control:    {org.instance_url}/_emulator/ (see docs/salesforce-emulator.md)")
    print(f"  control token (header X-Emulator-Token): {org.control_token}", flush=True)
    if options.connection_file:
        print(f"  connection: {options.connection_file}", flush=True)
    try:
        wait_for_stop()
    finally:
        org.stop()


def main() -> None:
    serve(build_parser().parse_args())

"""Running an emulator in the foreground until Ctrl-C or SIGTERM (what honcho and process managers send)."""

import signal
import threading


def wait_for_stop() -> None:
    """Block until SIGINT or SIGTERM; both mean a clean stop (the caller saves state and closes the server)."""
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    while not stopped.wait(0.5):  # a timed wait, so the signal handler gets to run promptly
        pass

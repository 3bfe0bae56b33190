import http.server
import threading

import pytest

from tests.triggers.media_server import MediaServer


@pytest.fixture
def media_server():
    """http://127.0.0.1:PORT serving tests.triggers.media_server (a real socket, a thread of this process)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), MediaServer)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()

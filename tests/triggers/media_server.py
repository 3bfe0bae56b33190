"""A local HTTP server for media imports: an image, a page, an endless image, and redirects."""

import base64
import http.server
from urllib.parse import parse_qs, urlsplit

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


class MediaServer(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # the endless image ends when the connection does

    def do_GET(self):
        path = urlsplit(self.path)
        if path.path == "/logo.png":
            self._send(200, "image/png", PNG)
        elif path.path == "/page.html":
            self._send(200, "text/html", b"<html></html>")
        elif path.path == "/endless.png":  # declares no length and never stops: only counting stops it
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            try:
                while True:
                    self.wfile.write(PNG * 64)
            except OSError:
                pass
        elif path.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", parse_qs(path.query)["to"][0])
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self.send_error(404)

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

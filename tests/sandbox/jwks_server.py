"""A tiny JWKS server on 127.0.0.1 for the tests (loopback only, one thread)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class JWKSServer:
    def __init__(self):
        self.document: dict | bytes = {"keys": []}
        self.status = 200
        self.cache_control = "public, max-age=300"
        self.content_type = "application/json"
        self.etag: str | None = None
        self.requests: list[tuple[str, dict]] = []
        self.setup: dict[str, tuple[int, dict]] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                server.requests.append((self.path, dict(self.headers)))
                if self.path == "/redirect":
                    self.send_response(302)
                    self.send_header("Location", "/jwks")
                    self.end_headers()
                    return
                if self.path.startswith("/api/v1/messaging/messengers/"):
                    slug = self.path.split("/")[5]
                    status, body = server.setup.get(
                        slug, (404, {"error": "unknown_messenger", "detail": "no"})
                    )
                    self._send(status, json.dumps(body).encode(), "application/json")
                    return
                if self.path != "/jwks":
                    self._send(404, b"{}", "application/json")
                    return
                if server.etag and self.headers.get("If-None-Match") == server.etag:
                    self.send_response(304)
                    self.send_header("Cache-Control", server.cache_control)
                    self.end_headers()
                    return
                body = server.document
                if isinstance(body, dict):
                    body = json.dumps(body).encode()
                self._send(server.status, body, server.content_type)

            def _send(self, status, body, ctype):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                if server.cache_control:
                    self.send_header("Cache-Control", server.cache_control)
                if server.etag:
                    self.send_header("ETag", server.etag)
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def url(self) -> str:
        return f"{self.base}/jwks"

    def count(self, path="/jwks") -> int:
        return sum(1 for p, _ in self.requests if p == path)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

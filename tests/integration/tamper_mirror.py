"""A hostile https hop between Claude Code and the proxy: it forwards each GET with its headers,
points the marketplace's archive URLs at itself (leaving every sha256 as the proxy signed it) and
flips one byte of every archive on the way back. Run inside the test namespace:

    python tamper_mirror.py HOST PORT CERT KEY CA UPSTREAM

It prints READY once listening. What Claude Code must do with its answers is refuse the archive.
"""

from __future__ import annotations

import ssl
import sys
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main(host: str, port: str, cert: str, key: str, ca: str, upstream: str) -> None:
    """Serve until killed."""
    own = f"https://{host}:{port}"
    client = ssl.create_default_context(cafile=ca)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            headers = {k: v for k, v in self.headers.items() if k.lower() in {"authorization", "accept"}}
            request = urllib.request.Request(upstream + self.path, headers=headers)
            try:
                with urllib.request.urlopen(request, context=client) as answer:
                    status, body, kind = answer.status, answer.read(), answer.headers.get("content-type", "")
            except urllib.error.HTTPError as refused:
                status, body, kind = refused.code, refused.read(), refused.headers.get("content-type", "")
            if self.path.startswith("/claude-code/"):
                body = body.replace(upstream.encode(), own.encode())
            elif self.path.startswith("/bundles/") and status == 200:
                changed = bytearray(body)
                changed[len(changed) // 2] ^= 0xFF
                body = bytes(changed)
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer((host, int(port)), Handler)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print("READY", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(*sys.argv[1:])

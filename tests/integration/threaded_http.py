"""An HTTP server in a thread of the test process, for the small servers tests write themselves
(a static folder, a git smart-HTTP front, a guarded catalog, a tampering hop)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from socketserver import BaseRequestHandler
from typing import Any

Handler = Callable[[Any, Any, ThreadingHTTPServer], BaseRequestHandler]


@contextmanager
def serving_http(handler: Handler, port: int = 0) -> Iterator[str]:
    """Serve `handler` on 127.0.0.1 (at `port`, else a free one); yields the base URL. The server
    is shut down, its socket closed and its thread joined when the block ends."""
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)

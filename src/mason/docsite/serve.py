"""`mason docs serve`: the generated site over HTTP (the standard library's server, one folder, GET only)."""

from __future__ import annotations

import functools
import webbrowser
from collections.abc import Callable
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class _Quiet(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".js": "text/javascript",
                      ".json": "application/json", ".css": "text/css"}

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()


def make_server(folder: Path, host: str, port: int) -> ThreadingHTTPServer:
    handler = functools.partial(_Quiet, directory=str(folder))
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def serve_dir(folder: Path, host: str, port: int, browser: bool, echo: Callable[[str], None]) -> int:
    server = make_server(folder, host, port)
    url = f"http://{host if host not in ('0.0.0.0', '::') else '127.0.0.1'}:{server.server_address[1]}/"
    echo(f"Serving the docs in {folder} at {url} (Ctrl-C to stop)")
    if browser:
        try:
            webbrowser.open(url)
        except Exception:
            pass
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0

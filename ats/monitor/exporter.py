"""The metrics server: ``/metrics`` (Prometheus text) and ``/graph`` (agent graph JSON).

One small WSGI app in a daemon thread, so Grafana and Prometheus can read the brain while
the asyncio loop (or Textual's) does the trading; it never touches the event loop. Bound to
127.0.0.1 unless the trader asks otherwise — metrics reveal positions and PnL.
"""

from __future__ import annotations

import errno
import json
import logging
import socket
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

log = logging.getLogger(__name__)

DEFAULT_PORT = 9464  # PROMETHEUS_PORT; 9464 is the port Prometheus' registry lists for exporters
LOOPBACK = {"127.0.0.1", "localhost", "::1"}

GraphProvider = Callable[[], dict[str, Any]]


class ExporterPortInUse(OSError):
    """The metrics port is taken; the message names it and how to choose another."""


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _ThreadingServerV6(_ThreadingServer):
    """The same server on an IPv6 socket (``--metrics-host ::`` or ``::1``)."""

    address_family = socket.AF_INET6


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("metrics http: " + format, *args)


def make_app(registry: CollectorRegistry, graph: GraphProvider) -> Callable[..., Iterable[bytes]]:
    """The WSGI app: /metrics, /graph, / (a tiny index); 404 otherwise."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        if path == "/metrics":
            body = generate_latest(registry)
            start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
            return [body]
        if path == "/graph":
            try:
                doc = graph()
                status = "200 OK"
            except Exception as exc:  # a broken provider must not kill the server thread
                log.exception("graph provider failed")
                doc, status = {"error": str(exc)}, "500 Internal Server Error"
            body = json.dumps(doc).encode()
            start_response(status, [("Content-Type", "application/json")])
            return [body]
        if path == "/":
            body = b"ATS metrics exporter: /metrics /graph\n"
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [body]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found\n"]

    return app


class MetricsServer:
    """Serve a registry and a graph provider on ``host:port`` from a daemon thread."""

    def __init__(
        self,
        registry: CollectorRegistry,
        graph: GraphProvider,
        *,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
    ) -> None:
        self.registry = registry
        self.graph = graph
        self.host = host
        self.port = port
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> int:
        """Bind and serve; returns the bound port (useful with port 0)."""
        if self.host not in LOOPBACK:
            log.warning(
                "metrics exporter bound to %s: anyone who can reach it sees positions and PnL",
                self.host,
            )
        host = self.host.strip("[]")
        server_class = _ThreadingServerV6 if ":" in host else _ThreadingServer
        try:
            self._server = make_server(
                host, self.port, make_app(self.registry, self.graph),
                server_class=server_class, handler_class=_QuietHandler,
            )
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ExporterPortInUse(
                    exc.errno,
                    f"metrics port {self.port} on {self.host} is already in use; choose another "
                    "with --metrics-port or PROMETHEUS_PORT",
                ) from None
            raise
        self.port = self._server.server_port
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="ats-metrics", daemon=True
        )
        self._thread.start()
        return self.port

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> MetricsServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

"""A faithful local stand-in for the Ollama HTTP API (``/api/tags``, ``/api/chat``,
``/api/generate``), driven by the real ``ollama`` client in tests.

Answers are scripted: each ``/api/chat`` (or ``/api/generate``) call pops the next string;
every request body is kept so tests can check that the schema was sent as ``format``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CREATED = "2026-11-23T09:00:00.000000Z"


class FakeOllama:
    def __init__(self, answers: list[str], models: tuple[str, ...] = ("llama3.1:latest",)
                 ) -> None:
        self.answers = list(answers)
        self.models = models
        self.requests: list[dict[str, Any]] = []
        self.server: ThreadingHTTPServer | None = None

    @property
    def host(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def _next_answer(self) -> str:
        return self.answers.pop(0) if self.answers else "{}"

    def handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                return

            def _send(self, code: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 - http.server API
                if self.path == "/api/tags":
                    self._send(200, {"models": [
                        {"name": m, "model": m, "modified_at": CREATED, "size": 4_920_753_328,
                         "digest": "a" * 64, "details": {"format": "gguf", "family": "llama",
                                                         "parameter_size": "8.0B",
                                                         "quantization_level": "Q4_K_M"}}
                        for m in fake.models]})
                else:
                    self._send(404, {"error": f"not found: {self.path}"})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append({"path": self.path, **body})
                model = body.get("model", "")
                if model not in fake.models and f"{model}:latest" not in fake.models:
                    self._send(404, {"error": f"model '{model}' not found"})
                    return
                stats = {"done": True, "done_reason": "stop", "total_duration": 1_000_000,
                         "load_duration": 1000, "prompt_eval_count": 10,
                         "prompt_eval_duration": 1000, "eval_count": 20, "eval_duration": 1000}
                if self.path == "/api/chat":
                    self._send(200, {"model": model, "created_at": CREATED,
                                     "message": {"role": "assistant",
                                                 "content": fake._next_answer()}, **stats})
                elif self.path == "/api/generate":
                    self._send(200, {"model": model, "created_at": CREATED,
                                     "response": fake._next_answer(), "context": [1, 2],
                                     **stats})
                else:
                    self._send(404, {"error": f"not found: {self.path}"})

        return Handler

    @contextmanager
    def running(self) -> Iterator[FakeOllama]:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler())
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()
            thread.join(timeout=5)

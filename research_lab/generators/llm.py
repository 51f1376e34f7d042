"""Candidate generation with a local LLM through Ollama's structured output, and its replay.

The request passes the DSL's JSON schema as ``format`` so the model can only emit documents
of the right shape; the answer is still validated (ranges, cross-field rules) and a bad one
is sent back with the exact field errors, a bounded number of times. Every prompt and
answer goes to the journal (kind ``llm``) so ``ReplayGenerator`` can rebuild the same
candidates later without the model — research runs stay reproducible.
"""

from __future__ import annotations

from typing import Any, Protocol

import httpx
import ollama

from ats.domain.clock import Clock, RealClock
from research_lab.dsl.errors import DslError, parse_spec
from research_lab.dsl.models import StrategySpec

SYSTEM_PROMPT = """You design systematic trading strategies as JSON documents in a small DSL.
Rules compare operands: {"kind":"indicator","name":...,"params":{"period":N},"shift":K},
{"kind":"price","field":"close"} or {"kind":"const","value":X}; ops are > < >= <=
crosses_above crosses_below. Indicators: sma ema rsi bb_upper bb_middle bb_lower ema_slope
atr atr_pct adx plus_di minus_di donchian_upper donchian_lower. Entries per side under
entry.long / entry.short, exits under exit.long / exit.short, a stop (atr multiple or
percent) is required. Use shift 1 when comparing price with a channel that includes the
current bar. Answer with one JSON document only."""


class JournalSink(Protocol):
    def journal(self, kind: str, payload: dict[str, Any], *, ts: int, run_id: str,
                text: str) -> int: ...


class OllamaUnavailable(RuntimeError):
    """No Ollama server answered at the configured host (or the model is missing)."""


def schema() -> dict[str, Any]:
    return StrategySpec.model_json_schema()


def user_prompt(i: int, timeframe: str, symbols: list[str], avoid: list[str]) -> str:
    kinds = ["trend", "mean_reversion"]
    avoid_txt = ", ".join(avoid[-20:]) or "none yet"
    return (f"Candidate #{i + 1}: a {kinds[i % 2]} strategy for {', '.join(symbols) or 'any'}"
            f" on {timeframe} bars. Give it a new snake_case name (not one of: {avoid_txt}).")


class OllamaGenerator:
    """Asks an Ollama model for ``n`` candidates; validates and retries bad answers."""

    name = "ollama"

    def __init__(self, host: str, model: str, *, journal: JournalSink | None = None,
                 run_id: str = "", clock: Clock | None = None, timeframe: str = "1h",
                 symbols: list[str] | None = None, max_retries: int = 3, seed: int = 0,
                 timeout: float = 120.0) -> None:
        self.host, self.model = host, model
        self.client = ollama.Client(host=host, timeout=timeout)
        self.journal = journal
        self.run_id = run_id
        self.clock = clock or RealClock()
        self.timeframe = timeframe
        self.symbols = symbols or []
        self.max_retries = max_retries
        self.seed = seed
        self.rejected = 0
        self.failure = ""

    def check(self) -> None:
        """Raise ``OllamaUnavailable`` with a fix-it message unless the server and model answer."""
        try:
            listed = self.client.list()
        except (httpx.HTTPError, ConnectionError, ollama.ResponseError) as exc:
            raise OllamaUnavailable(
                f"no Ollama server answers at {self.host} ({exc.__class__.__name__}). Start it "
                "with `ollama serve` or set OLLAMA_HOST; the deterministic generator is used "
                "instead") from None
        names = {m.model for m in listed.models if m.model}
        if self.model not in names and f"{self.model}:latest" not in names:
            raise OllamaUnavailable(
                f"Ollama at {self.host} has no model {self.model!r} (has: "
                f"{', '.join(sorted(names)) or 'none'}). Run `ollama pull {self.model}` or set "
                "OLLAMA_MODEL")

    def _record(self, payload: dict[str, Any], text: str) -> None:
        if self.journal is not None:
            self.journal.journal("llm", payload, ts=self.clock.now_ms(), run_id=self.run_id,
                                 text=text)

    def one(self, i: int, avoid: list[str]) -> StrategySpec | None:
        messages: list[dict[str, str]] = [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": user_prompt(i, self.timeframe, self.symbols, avoid)},
        ]
        for attempt in range(self.max_retries + 1):
            try:
                resp = self.client.chat(model=self.model, messages=messages, format=schema(),
                                        options={"temperature": 0.7, "seed": self.seed + i})
            except (httpx.HTTPError, ConnectionError, ollama.ResponseError) as exc:
                raise OllamaUnavailable(f"Ollama at {self.host} stopped answering: {exc}") from None
            answer = resp.message.content or ""
            problems: list[str] = []
            spec: StrategySpec | None = None
            try:
                spec = parse_spec(answer)
                if spec.name in avoid:
                    problems = [f"name: {spec.name!r} is taken; choose another"]
                    spec = None
            except DslError as exc:
                problems = exc.problems
            self._record(
                {"candidate": i, "attempt": attempt, "model": self.model,
                 "messages": list(messages), "answer": answer, "valid": spec is not None,
                 "problems": problems},
                f"llm candidate {i} attempt {attempt} "
                + ("valid " + spec.name if spec else "invalid: " + "; ".join(problems)[:300]),
            )
            if spec is not None:
                return spec
            self.rejected += 1
            messages = [*messages, {"role": "assistant", "content": answer},
                        {"role": "user", "content": "That document is invalid:\n- "
                         + "\n- ".join(problems) + "\nReturn the corrected JSON document."}]
        return None

    def generate(self, n: int) -> list[StrategySpec]:
        """Up to ``n`` valid candidates; if the server dies midway, the ones so far (and
        ``failure`` says why) — every answer received is already in the journal."""
        out: list[StrategySpec] = []
        for i in range(n):
            try:
                spec = self.one(i, [s.name for s in out])
            except OllamaUnavailable as exc:
                self.failure = str(exc)
                break
            if spec is not None:
                out.append(spec)
        return out


class JournalSource(Protocol):
    def journal_tail(self, n: int = 50, *, kind: str | None = None,
                     run_id: str | None = None) -> list[Any]: ...


class ReplayGenerator:
    """Rebuilds a past LLM run's candidates from its journal records — no model needed."""

    name = "replay"

    def __init__(self, source: JournalSource, run_id: str) -> None:
        self.source = source
        self.run_id = run_id

    def generate(self, n: int) -> list[StrategySpec]:
        records = self.source.journal_tail(100_000, kind="llm", run_id=self.run_id)
        records = sorted(records, key=lambda r: r.id)
        out: list[StrategySpec] = []
        for rec in records:
            if rec.payload.get("valid") and len(out) < n:
                out.append(parse_spec(rec.payload["answer"], source=f"journal #{rec.id}"))
        return out


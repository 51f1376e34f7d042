"""Benchmark the hardened configuration reader against PyYAML's plain ``safe_load``.

The guarded reader adds a composer that counts depth, nodes and aliases, a walk for
duplicate keys and alias expansion, and strict UTF-8 decoding. Goal: loading the shipped
configs stays within a small factor of ``yaml.safe_load`` (it is pure Python — the C
loader cannot be hooked), while abusive files are refused in milliseconds where
``safe_load`` takes seconds, gigabytes or raises ``RecursionError``.

    python scripts/bench_config.py [--repeat 50]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import tempfile
import time
from pathlib import Path

import yaml
from rich.console import Console
from rich.table import Table

from ats.config import ConfigError
from ats.config.safe_yaml import load_yaml

CONFIGS = Path(__file__).resolve().parent.parent / "configs"


def best_ms(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best * 1000.0


def laughs(levels: int) -> str:
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    prev = "a"
    for i in range(levels):
        name = f"l{i}"
        text += f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]\n"
        prev = name
    return text


def _reference(text: str, q: mp.Queue) -> None:  # type: ignore[type-arg]
    """safe_load + a walk (what the config models do), in a child capped at 1 GiB."""
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
    t = time.perf_counter()
    try:
        data = yaml.safe_load(text)

        def walk(x: object) -> int:
            if isinstance(x, dict):
                return 1 + sum(walk(v) for v in x.values())
            if isinstance(x, list):
                return 1 + sum(walk(v) for v in x)
            return 1

        walk(data)
        outcome = "accepted"
    except RecursionError:
        outcome = "RecursionError"
    except MemoryError:
        outcome = "MemoryError (1 GiB cap)"
    q.put((outcome, (time.perf_counter() - t) * 1000.0))


def reference(text: str, timeout: float) -> tuple[str, float]:
    q: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    p = mp.Process(target=_reference, args=(text, q))
    t = time.perf_counter()
    p.start()
    p.join(timeout)
    if p.is_alive():
        p.kill()
        p.join()
        return f"no answer in {timeout:g} s", timeout * 1000.0
    if q.empty():
        return "crashed", (time.perf_counter() - t) * 1000.0
    return q.get()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=50)
    ap.add_argument("--timeout", type=float, default=20.0)
    args = ap.parse_args()

    table = Table(title="Config reader: guarded load_yaml vs yaml.safe_load")
    for col in ("input", "load_yaml", "safe_load", "ratio"):
        table.add_column(col, justify="right" if col != "input" else "left")
    for path in sorted(CONFIGS.glob("*.yaml")):
        text = path.read_text()
        ours = best_ms(lambda p=path: load_yaml(p), args.repeat)
        ref = best_ms(lambda t=text: yaml.safe_load(t), args.repeat)
        table.add_row(path.name, f"{ours:.2f} ms", f"{ref:.2f} ms", f"{ours / ref:.2f}x")

    with tempfile.TemporaryDirectory() as tmp:
        for name, text in (("billion laughs (9 levels)", laughs(8)),
                           ("nesting 5,000 deep", "a: " + "[" * 5000 + "]" * 5000 + "\n")):
            p = Path(tmp) / "abuse.yaml"
            p.write_text(text)
            t = time.perf_counter()
            try:
                load_yaml(p)
                ours_out = "accepted"
            except ConfigError:
                ours_out = "refused"
            ours = (time.perf_counter() - t) * 1000.0
            ref_out, ref = reference(text, args.timeout)
            table.add_row(name, f"{ours_out} in {ours:.1f} ms", f"{ref_out} in {ref:.0f} ms",
                          f"{ref / max(ours, 1e-3):.0f}x faster")
    Console().print(table)


if __name__ == "__main__":
    main()

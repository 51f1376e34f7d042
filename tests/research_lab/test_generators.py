"""Generators: seeded determinism, the real ollama client against a fake server, replay."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from fake_ollama import FakeOllama

from ats.domain import FixedClock
from research_lab.dsl.errors import dump_spec, parse_spec
from research_lab.generators import (
    DeterministicGenerator,
    OllamaGenerator,
    OllamaUnavailable,
    ReplayGenerator,
    mutate,
)
from research_lab.generators.deterministic import ma_cross
from storage.dao import PersistDAO


def test_deterministic_generator_is_reproducible_and_unique() -> None:
    a = DeterministicGenerator(seed=5).generate(12)
    b = DeterministicGenerator(seed=5).generate(12)
    c = DeterministicGenerator(seed=6).generate(12)
    assert [dump_spec(s) for s in a] == [dump_spec(s) for s in b]
    assert [s.name for s in a] != [s.name for s in c]
    assert len({s.name for s in a}) == 12
    assert {s.kind for s in a} == {"trend", "mean_reversion"}


def test_mutations_change_parameters_and_stay_valid() -> None:
    seed = parse_spec(ma_cross(random.Random(2), "1h"))
    gen = DeterministicGenerator(seed=1, seeds=[seed]).generate(9)
    mutated = [s for s in gen if "_m" in s.name]
    assert mutated
    m = mutated[0]
    assert m.description.startswith(f"mutation of {seed.name}")
    assert dump_spec(m) != dump_spec(seed)
    assert mutate(seed, random.Random(3), "x") is not None


@pytest.fixture
def dao(tmp_path: Path) -> PersistDAO:
    d = PersistDAO(tmp_path / "ats.db")
    yield d
    d.close()


def good(name: str) -> str:
    doc = ma_cross(random.Random(len(name)), "1h")
    doc["name"] = name
    return json.dumps(doc)


def test_ollama_retries_bad_answers_then_accepts_and_journals_everything(dao: PersistDAO
                                                                        ) -> None:
    bad_period = json.loads(good("llm_one"))
    bad_period["entry"]["long"]["rules"][0]["left"]["params"]["period"] = 1
    answers = ["not json at all", json.dumps(bad_period), good("llm_one"), good("llm_two")]
    with FakeOllama(answers).running() as fake:
        gen = OllamaGenerator(fake.host, "llama3.1", journal=dao, run_id="r1",
                              clock=FixedClock(1_000), max_retries=3)
        gen.check()
        specs = gen.generate(2)
    assert [s.name for s in specs] == ["llm_one", "llm_two"]
    assert gen.rejected == 2
    chats = [r for r in fake.requests if r["path"] == "/api/chat"]
    assert len(chats) == 4
    assert chats[0]["format"]["title"] == "StrategySpec"
    # the retry carries the exact field error back to the model
    assert "entry.long.rules[0].left.params.period: must be >= 2, got 1" in (
        chats[2]["messages"][-1]["content"])
    records = dao.journal_tail(50, kind="llm", run_id="r1")
    assert len(records) == 4
    assert sum(r.payload["valid"] for r in records) == 2
    replayed = ReplayGenerator(dao, "r1").generate(10)
    assert [dump_spec(s) for s in replayed] == [dump_spec(s) for s in specs]


def test_ollama_gives_up_after_bounded_retries() -> None:
    with FakeOllama(["{}"] * 10).running() as fake:
        gen = OllamaGenerator(fake.host, "llama3.1", max_retries=2)
        assert gen.generate(1) == []
    assert len(fake.requests) == 3


def test_no_server_and_missing_model_are_clear() -> None:
    with FakeOllama([], models=("qwen2.5:7b",)).running() as fake:
        with pytest.raises(OllamaUnavailable, match="ollama pull llama3.1"):
            OllamaGenerator(fake.host, "llama3.1").check()
        host = fake.host
    with pytest.raises(OllamaUnavailable, match="no Ollama server answers"):
        OllamaGenerator(host, "llama3.1", timeout=2).check()


def test_the_fake_server_speaks_the_generate_endpoint_too() -> None:
    import ollama

    with FakeOllama(["hello"]).running() as fake:
        resp = ollama.Client(host=fake.host).generate(model="llama3.1", prompt="hi")
    assert resp.response == "hello" and resp.done
    assert fake.requests[0]["path"] == "/api/generate"


def test_a_server_that_dies_midway_keeps_what_it_gave() -> None:
    fake = FakeOllama([good("first_one"), good("second_one")])
    with fake.running():
        gen = OllamaGenerator(fake.host, "llama3.1", max_retries=1, timeout=2)
        first = gen.one(0, [])
    assert first is not None
    assert gen.generate(2) == [] and "stopped answering" in gen.failure
    with FakeOllama([good("x_one")], models=("other:latest",)).running() as other:
        with pytest.raises(OllamaUnavailable, match="stopped answering"):
            OllamaGenerator(other.host, "llama3.1").one(0, [])

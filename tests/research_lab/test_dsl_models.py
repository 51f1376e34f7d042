"""DSL validation: error paths, the published schema, canonical JSON round trip."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from research_lab.dsl.errors import DslError, dump_spec, parse_spec, read_spec
from research_lab.dsl.schema import SCHEMA_PATH, model_schema
from research_lab.generators.deterministic import TEMPLATES

DOC: dict[str, Any] = {
    "name": "ema_cross_test",
    "timeframe": "1h",
    "entry": {"long": {"rules": [
        {"left": {"kind": "indicator", "name": "ema", "params": {"period": 10}},
         "op": "crosses_above",
         "right": {"kind": "indicator", "name": "ema", "params": {"period": 30}}},
        {"left": {"kind": "indicator", "name": "adx", "params": {"period": 14}},
         "op": ">", "right": {"kind": "const", "value": 20}},
    ]}},
    "stop": {"kind": "atr", "value": 2.5},
}


def test_the_schema_file_equals_the_model_schema() -> None:
    on_disk = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert on_disk == model_schema(), "regenerate: python -m research_lab.dsl.schema"


def test_valid_document_round_trips_through_canonical_json() -> None:
    spec = parse_spec(DOC)
    assert spec.sides == ("long",)
    again = parse_spec(dump_spec(spec))
    assert again == spec


def test_bad_period_names_the_full_path() -> None:
    bad = copy.deepcopy(DOC)
    bad["entry"]["long"]["rules"][1]["left"]["params"]["period"] = 0
    with pytest.raises(DslError) as exc:
        parse_spec(bad)
    assert exc.value.problems == ["entry.long.rules[1].left.params.period: must be >= 2, got 0"]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.pop("stop"), "stop: is required"),
        (lambda d: d.update(timeframe="2h"), "timeframe: must be one of"),
        (lambda d: d.update(name="Bad Name"), "name: must match"),
        (lambda d: d["entry"].update(long=None), "entry needs rules for at least one side"),
        (lambda d: d["entry"]["long"]["rules"][0]["left"].update(kind="magic"),
         "entry.long.rules[0].left: kind must be one of"),
        (lambda d: d["entry"]["long"]["rules"][0].update(op="=="),
         "entry.long.rules[0].op: must be one of"),
        (lambda d: d.update(color="red"), "color: unknown field"),
        (lambda d: d["entry"]["long"]["rules"][1].update(left={"kind": "const", "value": 1}),
         "always true or always false"),
    ],
)
def test_each_bad_field_is_reported_with_its_path(mutate: Any, expected: str) -> None:
    bad = copy.deepcopy(DOC)
    mutate(bad)
    with pytest.raises(DslError) as exc:
        parse_spec(bad)
    assert any(expected in p for p in exc.value.problems), exc.value.problems


def test_not_json_and_missing_file_are_clear(tmp_path: Path) -> None:
    with pytest.raises(DslError, match="not valid JSON"):
        parse_spec("{nope")
    with pytest.raises(DslError, match="must be a JSON object"):
        parse_spec("[1, 2]")
    with pytest.raises(DslError, match="file not found"):
        read_spec(tmp_path / "missing.json")
    p = tmp_path / "s.json"
    p.write_text(json.dumps(DOC), encoding="utf-8")
    assert read_spec(p).name == "ema_cross_test"


def test_warm_up_covers_recursive_indicators() -> None:
    spec = parse_spec(DOC)
    assert spec.bars_needed() >= 10 * 30


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_is_a_valid_document(template: Any) -> None:
    import random

    spec = parse_spec(template(random.Random(1), "15m"))
    assert spec.timeframe == "15m" and spec.operands()

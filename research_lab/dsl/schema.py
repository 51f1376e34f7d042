"""The published JSON schema of the DSL (``strategy.schema.json``), kept equal to the model.

The file is what an LLM's structured output, an editor or another tool validates against; a
test fails if the model changes and the file is not regenerated with
``python -m research_lab.dsl.schema``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from research_lab.dsl.models import StrategySpec

SCHEMA_PATH = Path(__file__).with_name("strategy.schema.json")


def model_schema() -> dict[str, Any]:
    doc = StrategySpec.model_json_schema()
    doc["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    doc["$id"] = "https://github.com/ats/research_lab/dsl/strategy.schema.json"
    return doc


def schema_text() -> str:
    return json.dumps(model_schema(), indent=2, sort_keys=True) + "\n"


def write_schema(path: Path = SCHEMA_PATH) -> Path:
    path.write_text(schema_text(), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(write_schema())

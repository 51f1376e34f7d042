"""Candidate generators: Ollama (structured output), its journal replay, and a seeded grid."""

from research_lab.generators.deterministic import DeterministicGenerator, mutate
from research_lab.generators.llm import (
    OllamaGenerator,
    OllamaUnavailable,
    ReplayGenerator,
    schema,
)

__all__ = [
    "DeterministicGenerator",
    "OllamaGenerator",
    "OllamaUnavailable",
    "ReplayGenerator",
    "mutate",
    "schema",
]

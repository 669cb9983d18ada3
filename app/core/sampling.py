"""Sampling settings, with the QwQ-32B model card's recommendations as defaults.

The card: temperature 0.6, top_p 0.95, top_k 20-40 (40 in its GGUF example),
min_p 0, no repetition penalty, presence penalty 0 (0-2 can curb endless
repetition). These replace llama-cpp-python's own defaults (temperature 0.2,
min_p 0.05), which make QwQ loop.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any


@dataclass(frozen=True, slots=True)
class SamplingSettings:
    temperature: float = 0.6
    top_p: float = 0.95
    top_k: int = 40
    min_p: float = 0.0
    repeat_penalty: float = 1.0  # 1.0 = off
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    max_tokens: int | None = None  # None: until the end token or the context is full
    seed: int | None = None  # None: a new random seed each time

    def __post_init__(self) -> None:
        problems = []
        if not 0.0 <= self.temperature <= 5.0:
            problems.append("temperature must be between 0 and 5")
        if not 0.0 < self.top_p <= 1.0:
            problems.append("top_p must be above 0 and at most 1")
        if self.top_k < 0:
            problems.append("top_k must be 0 (off) or more")
        if not 0.0 <= self.min_p <= 1.0:
            problems.append("min_p must be between 0 and 1")
        if self.repeat_penalty <= 0:
            problems.append("repeat_penalty must be above 0")
        if not -2.0 <= self.presence_penalty <= 2.0:
            problems.append("presence_penalty must be between -2 and 2")
        if not -2.0 <= self.frequency_penalty <= 2.0:
            problems.append("frequency_penalty must be between -2 and 2")
        if self.max_tokens is not None and self.max_tokens < 1:
            problems.append("max_tokens must be at least 1")
        if problems:
            raise ValueError("; ".join(problems))

    @staticmethod
    def from_dict(data: dict[str, Any]) -> SamplingSettings:
        """Settings saved earlier; unknown or invalid values fall back to the defaults."""
        known = {f.name for f in fields(SamplingSettings)}
        try:
            return SamplingSettings(**{k: v for k, v in data.items() if k in known})
        except (TypeError, ValueError):
            return SamplingSettings()

    def to_dict(self) -> dict[str, Any]:
        """What a conversation remembers: everything but the seed, which is per reply."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "seed"}

    def with_overrides(self, **overrides: Any) -> SamplingSettings:
        """A copy with the given fields changed; None values leave a field as it is."""
        known = {f.name for f in fields(self)}
        unknown = set(overrides) - known
        if unknown:
            raise ValueError(f"unknown sampling settings: {', '.join(sorted(unknown))}")
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})

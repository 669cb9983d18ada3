"""What one request may ask of the server: checked while the body is read and parsed,
before any of it reaches the model."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ApiLimits:
    max_body_bytes: int = 4 * 1024 * 1024  # 413 beyond; read in pieces, never buffered
    max_json_depth: int = 32  # a chat request is 5 deep; 400 beyond
    max_messages: int = 10_000  # 400 beyond

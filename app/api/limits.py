"""What one request may ask of the server: checked while the body is read and parsed,
before any of it reaches the model."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ApiLimits:
    max_body_bytes: int = 4 * 1024 * 1024  # 413 beyond; read in pieces, never buffered
    max_json_depth: int = 32  # a chat request is 5 deep; 400 beyond
    max_messages: int = 10_000  # 400 beyond
    # Tools go into every prompt (their schemas as JSON in the system turn): bounded.
    max_tools: int = 128  # OpenAI's limit; also the calls in one assistant message
    max_tool_description_chars: int = 4_096
    max_tool_schema_bytes: int = 32 * 1024  # one tool's parameters, as JSON
    max_tool_schema_depth: int = 16

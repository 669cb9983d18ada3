"""How big a context to allocate, and whether RoPE scaling is needed for it.

Default 32,768 tokens. Qwen2-architecture models (QwQ-32B) were trained at 32,768
and reach 131,072 with YaRN; the QwQ-32B model card prescribes static YaRN with
factor 4 over an original context of 32,768. Static YaRN can hurt short texts, so
it is switched on only when the context asked for is above 32,768. Other models
are capped at the context they were trained for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from app.core.errors import InvalidRequestError
from app.core.i18n import translate

DEFAULT_CONTEXT = 32_768
YARN_ARCHITECTURES = frozenset({"qwen2"})
YARN_ORIGINAL_CONTEXT = 32_768
YARN_FACTOR = 4
MIN_CONTEXT = 256


@dataclass(frozen=True, slots=True)
class ContextPlan:
    n_ctx: int
    rope_scaling: Literal["none", "yarn"]
    yarn_factor: float = 1.0
    yarn_original_context: int = 0
    note: str = ""  # why the context differs from the one asked for, if it does


def plan_context(requested: int | None, architecture: str, trained: int | None) -> ContextPlan:
    want = DEFAULT_CONTEXT if requested is None else requested
    if want < MIN_CONTEXT:
        raise InvalidRequestError(
            translate("ContextPlan", "The context length must be at least {n} tokens.").format(
                n=MIN_CONTEXT
            )
        )
    if architecture in YARN_ARCHITECTURES:
        limit = YARN_ORIGINAL_CONTEXT * YARN_FACTOR
        n_ctx = min(want, limit)
        note = (
            f"capped at {limit:,} tokens, the most YaRN x{YARN_FACTOR} reaches"
            if want > limit
            else ""
        )
        if n_ctx > YARN_ORIGINAL_CONTEXT:
            return ContextPlan(n_ctx, "yarn", YARN_FACTOR, YARN_ORIGINAL_CONTEXT, note)
        return ContextPlan(n_ctx, "none", note=note)
    if trained and want > trained:
        return ContextPlan(
            trained,
            "none",
            note=f"capped at {trained:,} tokens, the context the model was trained for",
        )
    return ContextPlan(want, "none")

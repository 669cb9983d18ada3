from __future__ import annotations

import pytest

from app.core.errors import InvalidRequestError
from app.engine.context_plan import plan_context


def test_default_is_32k_without_scaling() -> None:
    plan = plan_context(None, "qwen2", 131072)
    assert (plan.n_ctx, plan.rope_scaling) == (32768, "none")


@pytest.mark.parametrize("n_ctx", [32769, 65536, 131072])
def test_qwen2_above_32k_uses_yarn_factor_4(n_ctx: int) -> None:
    plan = plan_context(n_ctx, "qwen2", 131072)
    assert plan.n_ctx == n_ctx
    assert plan.rope_scaling == "yarn"
    assert plan.yarn_factor == 4
    assert plan.yarn_original_context == 32768


def test_qwen2_is_capped_at_what_yarn_reaches() -> None:
    plan = plan_context(200_000, "qwen2", 131072)
    assert plan.n_ctx == 131072
    assert "capped" in plan.note


def test_other_models_are_capped_at_their_trained_context() -> None:
    plan = plan_context(65536, "gemma3", 32768)
    assert (plan.n_ctx, plan.rope_scaling) == (32768, "none")
    assert "trained" in plan.note


def test_absurd_context_is_refused() -> None:
    with pytest.raises(InvalidRequestError):
        plan_context(10, "qwen2", 131072)

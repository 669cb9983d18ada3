"""Render a conversation into the prompt text with the model's own chat template.

The template comes from the GGUF (``tokenizer.chat_template``) and runs in a Jinja2
sandbox, as Hugging Face's tokenizers do. A GGUF without a template gets ChatML,
the format of the Qwen family.

History holds answers only: the QwQ-32B model card says earlier turns must carry
no thinking content. An assistant message's ``reasoning`` is never passed to the
template, and a ``</think>`` left inside an answer (from an import, say) cuts off
everything before it, exactly as the official template does.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from app.core.errors import ModelFileError
from app.core.messages import ChatMessage
from app.core.reasoning import CLOSE_TAG

CHATML_TEMPLATE = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)


def _raise(message: str) -> None:
    raise jinja2.exceptions.TemplateError(message)


def _tojson(value: Any, indent: int | None = None) -> str:
    return json.dumps(value, ensure_ascii=False, indent=indent)


@lru_cache(maxsize=8)
def _compile(source: str) -> jinja2.Template:
    env = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"]
    )
    env.filters["tojson"] = _tojson
    env.globals["raise_exception"] = _raise
    env.globals["strftime_now"] = lambda fmt: _dt.datetime.now().strftime(fmt)
    return env.from_string(source)


def answer_only(content: str) -> str:
    """What of an assistant message goes back to the model: the text after ``</think>``."""
    if CLOSE_TAG in content:
        return content.rsplit(CLOSE_TAG, 1)[1].lstrip("\n")
    return content


def history_for_template(messages: Sequence[ChatMessage]) -> list[dict[str, str]]:
    return [
        {
            "role": m.role,
            "content": answer_only(m.content) if m.role == "assistant" else m.content,
        }
        for m in messages
    ]


def render_prompt(
    template: str | None,
    messages: Sequence[ChatMessage],
    *,
    bos_token: str = "",
    eos_token: str = "",
    add_generation_prompt: bool = True,
) -> str:
    """The prompt text for ``messages``, ending where the model's reply begins."""
    try:
        compiled = _compile(template or CHATML_TEMPLATE)
        return compiled.render(
            messages=history_for_template(messages),
            add_generation_prompt=add_generation_prompt,
            bos_token=bos_token,
            eos_token=eos_token,
            tools=None,
        )
    except jinja2.exceptions.TemplateError as e:
        raise ModelFileError(f"The model's chat template failed: {e}") from e

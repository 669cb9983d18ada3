"""Render a conversation into the prompt text with the model's own chat template.

The template comes from the GGUF (``tokenizer.chat_template``) and runs in a Jinja2
sandbox, as Hugging Face's tokenizers do, with limits on time and size
(:mod:`app.engine.template_sandbox`): the template is code from whoever made the file,
and whatever it does ends in the prompt or in one clear :class:`ModelFileError` line.
A GGUF without a template gets ChatML, the format of the Qwen family.

History holds answers only: the QwQ-32B model card says earlier turns must carry
no thinking content. An assistant message's ``reasoning`` is never passed to the
template, and a ``</think>`` left inside an answer (from an import, say) cuts off
everything before it, exactly as the official template does.

Tools go to the template as OpenAI's ``tools`` list, an assistant's calls as its
``tool_calls`` (arguments as objects, which templates ``tojson``) and results as ``"tool"``
messages: the template decides how the model sees them (QwQ's: JSON lines in
``<tools></tools>``, ``<tool_call>`` blocks after the answer, ``<tool_response>`` in a user
turn). A call the model wrote as QwQ's template writes it renders back byte for byte, so
the next round's prompt extends the last one.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import jinja2

from app.core.errors import ModelFileError
from app.core.i18n import translate
from app.core.messages import ChatMessage
from app.core.reasoning import CLOSE_TAG
from app.core.tool_calls import ToolSpec
from app.engine.template_sandbox import LimitedSandbox, Limits, TemplateLimitError, metered

# Real templates are a few kilobytes (QwQ's: 2.6 KB; the longest tool-use ones, ~20 KB).
# Compiling takes ~20 ms a kilobyte (and llama-cpp-python compiles them again), so a
# file's templates are limited in size and number: loading stays within seconds.
MAX_TEMPLATE_CHARS = 65_536
MAX_TEMPLATES = 8  # tokenizer.chat_template and its named variants (tool_use, rag...)
TEMPLATE_KEY = "tokenizer.chat_template"

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


class _TooLong(TemplateLimitError):
    """The template's source is over :data:`MAX_TEMPLATE_CHARS`."""


def _strftime_now(fmt: str) -> str:
    return _dt.datetime.now().strftime(str(fmt)[:200])


@lru_cache(maxsize=8)
def _compile(source: str) -> jinja2.Template:
    if len(source) > MAX_TEMPLATE_CHARS:
        raise _TooLong(f"{len(source):,} characters (the limit is {MAX_TEMPLATE_CHARS:,})")
    env = LimitedSandbox(
        trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"]
    )
    env.filters["tojson"] = _tojson
    env.guard_filters()
    env.globals["raise_exception"] = _raise
    env.globals["strftime_now"] = _strftime_now
    return env.from_string(source)


def _one_line(text: str, limit: int = 240) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _failure(e: BaseException) -> ModelFileError:
    """One clear line for whatever a template did."""
    if isinstance(e, _TooLong):
        text = translate("ChatTemplate", "The model's chat template is too long: {error}")
    elif isinstance(e, TemplateLimitError):
        text = translate("ChatTemplate", "The model's chat template was stopped: {error}")
    elif isinstance(e, jinja2.exceptions.TemplateSyntaxError):
        text = translate(
            "ChatTemplate", "The model's chat template has a syntax error on line {line}: {error}"
        )
        return ModelFileError(_one_line(text.format(line=e.lineno, error=e.message)))
    elif isinstance(e, RecursionError):
        text = translate("ChatTemplate", "The model's chat template recursed too deeply")
    elif isinstance(e, MemoryError):
        text = translate("ChatTemplate", "The model's chat template ran out of memory")
    elif isinstance(e, jinja2.exceptions.TemplateError):
        text = translate("ChatTemplate", "The model's chat template failed: {error}")
    else:
        text = translate("ChatTemplate", "The model's chat template failed: {kind}: {error}")
    return ModelFileError(_one_line(text.format(error=e, kind=type(e).__name__)))


def check_templates(metadata: Mapping[str, object]) -> None:
    """Compile every chat template a GGUF holds (llama-cpp-python compiles them all when
    it loads the model): a template that cannot be used is one clear line now."""
    templates = {
        key: value
        for key, value in metadata.items()
        if key == TEMPLATE_KEY or key.startswith(TEMPLATE_KEY + ".")
    }
    if len(templates) > MAX_TEMPLATES:
        raise ModelFileError(
            translate(
                "ChatTemplate", "The model file holds {count:,} chat templates (at most {limit})."
            ).format(count=len(templates), limit=MAX_TEMPLATES)
        )
    for key, value in templates.items():
        if not isinstance(value, str):
            length = getattr(value, "length", None)
            if isinstance(length, int):  # a string too long to have been read
                raise _failure(_TooLong(f"{length:,} bytes (the limit is {MAX_TEMPLATE_CHARS:,})"))
            raise ModelFileError(
                translate("ChatTemplate", "The model's chat template ({key}) is not text.").format(
                    key=key
                )
            )
        try:
            with metered(Limits.for_input(0)):
                _compile(value)
        except Exception as e:  # the template is hostile code: any failure is its own
            raise _failure(e) from e


def answer_only(content: str) -> str:
    """What of an assistant message goes back to the model: the text after ``</think>``."""
    if CLOSE_TAG in content:
        return content.rsplit(CLOSE_TAG, 1)[1].lstrip("\n")
    return content


def _for_template(m: ChatMessage) -> dict[str, Any]:
    """One message as templates read it (the OpenAI shape): the answer only for an
    assistant; its calls and a tool result's call id only where there are some, so a
    message without them renders exactly as before tools existed."""
    entry: dict[str, Any] = {
        "role": m.role,
        "content": answer_only(m.content) if m.role == "assistant" else m.content,
    }
    if m.tool_calls:
        entry["tool_calls"] = [call.for_template() for call in m.tool_calls]
    if m.tool_call_id:
        entry["tool_call_id"] = m.tool_call_id
    return entry


def history_for_template(messages: Sequence[ChatMessage]) -> list[dict[str, Any]]:
    return [_for_template(m) for m in messages]


def _size(entry: Mapping[str, Any]) -> int:
    """Characters a message brings into the prompt (its calls' JSON included)."""
    calls = entry.get("tool_calls")
    return len(entry["content"]) + (len(_tojson(calls)) if calls else 0)


def render_prompt(
    template: str | None,
    messages: Sequence[ChatMessage],
    *,
    bos_token: str = "",
    eos_token: str = "",
    add_generation_prompt: bool = True,
    tools: Sequence[ToolSpec] = (),
) -> str:
    """The prompt text for ``messages``, ending where the model's reply begins.

    ``tools``: what the model may call, passed to the template as OpenAI's ``tools`` list
    (QwQ's lists them as JSON in ``<tools></tools>`` in the system turn); none is
    ``tools=None``, as before tools existed. A template that ignores tools (ChatML)
    renders without them.

    Raises :class:`ModelFileError` (one line) for any failure of the template, including
    going past the limits of :mod:`app.engine.template_sandbox`."""
    history = history_for_template(messages)
    tool_list = [tool.to_openai() for tool in tools] or None
    chars = sum(_size(m) for m in history) + len(bos_token) + len(eos_token)
    chars += len(_tojson(tool_list)) if tool_list else 0
    limits = Limits.for_input(chars)
    try:
        with metered(limits):
            compiled = _compile(template or CHATML_TEMPLATE)
            chunks: list[str] = []
            total = 0
            for chunk in compiled.generate(
                messages=history,
                add_generation_prompt=add_generation_prompt,
                bos_token=bos_token,
                eos_token=eos_token,
                tools=tool_list,
            ):
                total += len(chunk)
                limits.fits(total, "a prompt")
                limits.spend(len(chunk))
                chunks.append(chunk)
            return "".join(chunks)
    except Exception as e:  # the template is hostile code: any failure is its own
        raise _failure(e) from e

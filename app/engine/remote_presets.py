"""Ready-made endpoints for :class:`~app.engine.remote_engine.RemoteEngine`.

A preset holds what is known about a kind of server: where it usually listens, the model
name it expects, how it sends QwQ's reasoning, and which environment variable people
usually keep its key in. It holds no key: keys are the caller's (the system keyring).

Sources, checked when this was written:

- DashScope (Alibaba Cloud Model Studio), OpenAI-compatible mode: base URLs per region,
  Beijing ``https://dashscope.aliyuncs.com/compatible-mode/v1``, Singapore
  ``https://dashscope-intl.aliyuncs.com/compatible-mode/v1``, Virginia
  ``https://dashscope-us.aliyuncs.com/compatible-mode/v1``, each with its own keys
  (alibabacloud.com/help/en/model-studio/compatibility-of-openai-with-dashscope). The
  reasoning comes in ``reasoning_content``, then the answer in ``content``; "QwQ and QVQ are
  streaming-only" (docs.qwencloud.com/resources/faq-text-generation; the deep-thinking guide,
  alibabacloud.com/help/en/model-studio/deep-thinking, also shows ``stream_options.
  include_usage``). Its chat API reference says not to set a system message for QwQ
  (docs.qwencloud.com/api-reference/chat/openai-chat). The examples read the key from
  ``DASHSCOPE_API_KEY``. It cannot continue a reply: its only way to go on from an
  assistant message, "partial mode" (the last message ``{"role": "assistant", "content":
  prefix, "partial": true}``, alibabacloud.com/help/en/model-studio/partial-mode), lists
  Qwen-Max/Plus/Flash/Coder/VL models, the thinking ones "non-thinking mode" only, and not
  qwq-32b; its ``thinking_budget`` is for Qwen3 models, "QwQ-32B on DashScope has no budget".
- vLLM: ``vllm serve Qwen/QwQ-32B --reasoning-parser deepseek_r1`` (the parser the
  reasoning-outputs page lists for QwQ-32B; v0.8 and older also ``--enable-reasoning``), at
  ``http://localhost:8000/v1``; the reasoning comes in ``reasoning_content``, or
  ``reasoning`` on newer versions (docs.vllm.ai features/reasoning_outputs, v0.8.3 to
  v0.11.2). A key is checked only when the server is started with ``--api-key`` or
  ``VLLM_API_KEY`` (docs.vllm.ai serving/openai_compatible_server). It continues the last
  assistant message with the Chat API's extra parameters ``continue_final_message: true``
  and ``add_generation_prompt: false`` ("Cannot be used at the same time as
  add_generation_prompt", whose default is true; vLLM PR #8942, autumn 2024, about
  v0.6.3): Hugging Face's ``apply_chat_template`` renders the message and cuts the prompt
  after its text.
- llama.cpp's llama-server: ``http://localhost:8080/v1``; ``--reasoning-format``: ``none``
  "leaves thoughts unparsed in message.content", ``deepseek`` "puts thoughts in
  message.reasoning_content", ``deepseek-legacy`` does both, default ``auto``; the request
  may also carry ``reasoning_format`` (tools/server/README.md). A key only with
  ``--api-key`` (env ``LLAMA_API_KEY``). In single-model mode it answers whatever model
  name is sent. A request whose last message is the assistant's is continued ("assistant
  prefill", llama.cpp PR #13174, merged in May 2025; ``--no-prefill-assistant`` turns it
  off, PR #13608): the server renders the other messages with the generation
  prompt and appends that message's text as is, with no reasoning parsing
  (tools/server/utils.hpp ``oaicompat_chat_params_parse``). Builds since mid-2025 refuse
  it when thinking is on for a template with an ``enable_thinking`` switch ("Assistant
  response prefill is incompatible with enable_thinking", llama.cpp issue #21889); QwQ's
  template has no such switch, so thinking counts as off there and the prefill is taken.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from app.core.i18n import QT_TRANSLATE_NOOP

ContinueStyle = Literal["prefill", "continue_final_message"]
"""How an endpoint continues the last assistant message (see RemoteEngine):
``prefill``: llama-server's assistant prefill; ``continue_final_message``: vLLM's."""
CANNOT_CONTINUE = QT_TRANSLATE_NOOP(
    "RemotePreset",
    "This endpoint is not set up to continue a reply: Answer now, Continue, Steer and the "
    "thinking budget need llama-server or vLLM.",
)


@dataclass(frozen=True, slots=True)
class RemotePreset:
    id: str  # stable, for settings files: "dashscope", "vllm", "llama-server", "custom"
    label: str  # shown in the endpoint picker (the faces translate the texts: "RemotePreset")
    backend: str  # ModelInfo.backend: where the replies come from
    base_url: str  # "" for custom: the user types it
    model: str  # the model name the server expects ("" for custom)
    api_key_env: str | None  # where such keys are usually kept, to offer importing one
    needs_api_key: bool  # False: only if the server was started with a key
    context_length: int
    # True: the server streams content that starts inside <think> (QwQ's template opened
    # it) with no reasoning parser; None: find out from the stream (see RemoteEngine).
    starts_in_reasoning: bool | None
    extra_body: tuple[tuple[str, Any], ...] = ()  # request fields this server needs
    notes: str = ""  # how to set the server up, and its caveats, for the settings page
    # How it continues a stopped reply (Answer now, budgets, Continue, Steer); None: it
    # cannot, and ``cannot_continue`` says why in the window.
    continue_style: ContinueStyle | None = None
    cannot_continue: str = CANNOT_CONTINUE


DASHSCOPE = RemotePreset(
    id="dashscope",
    label=QT_TRANSLATE_NOOP("RemotePreset", "DashScope (Alibaba Cloud Model Studio)"),
    backend="DashScope",
    base_url="https://dashscope.aliyuncs.com/compatible-mode/v1",
    model="qwq-32b",
    api_key_env="DASHSCOPE_API_KEY",
    needs_api_key=True,
    # QwQ-32B's full context (its model card); DashScope's own input cap may be lower.
    context_length=131_072,
    starts_in_reasoning=None,  # the reasoning comes in reasoning_content
    # It refuses non-streaming requests for QwQ; RemoteEngine always streams.
    notes=QT_TRANSLATE_NOOP(
        "RemotePreset",
        "Uses a Model Studio API key of the same region as the URL: Beijing "
        "(dashscope.aliyuncs.com), Singapore (dashscope-intl.aliyuncs.com) or Virginia "
        "(dashscope-us.aliyuncs.com). qwq-32b only streams, and ignores system messages.",
    ),
    cannot_continue=QT_TRANSLATE_NOOP(
        "RemotePreset",
        "DashScope cannot continue a reply of qwq-32b (its partial mode is for other "
        "models), so Answer now, Continue, Steer and the thinking budget are off here.",
    ),
)

VLLM = RemotePreset(
    id="vllm",
    label="vLLM",
    backend="vLLM",
    base_url="http://localhost:8000/v1",
    model="Qwen/QwQ-32B",
    api_key_env="VLLM_API_KEY",
    needs_api_key=False,
    context_length=32_768,
    starts_in_reasoning=None,  # reasoning_content/reasoning with the parser; tags without
    notes=QT_TRANSLATE_NOOP(
        "RemotePreset",
        "Start it with: vllm serve Qwen/QwQ-32B --reasoning-parser deepseek_r1 "
        "(vLLM 0.8 and older also need --enable-reasoning). The model name is the one it "
        "serves (--served-model-name, else the model path). A key only with --api-key.",
    ),
    continue_style="continue_final_message",
)

LLAMA_SERVER = RemotePreset(
    id="llama-server",
    label=QT_TRANSLATE_NOOP("RemotePreset", "llama.cpp server (llama-server)"),
    backend="llama-server",
    base_url="http://localhost:8080/v1",
    model="qwq-32b",
    api_key_env="LLAMA_API_KEY",
    needs_api_key=False,
    context_length=32_768,
    starts_in_reasoning=None,
    # Ask for the reasoning in reasoning_content whatever --reasoning-format says; builds
    # that do not know the field ignore it, and then <think> in the content is handled.
    extra_body=(("reasoning_format", "deepseek"),),
    notes=QT_TRANSLATE_NOOP(
        "RemotePreset",
        "Start it with: llama-server -m QwQ-32B-Q4_K_M.gguf -c 32768 --jinja "
        "--reasoning-format deepseek. It serves the one model it loaded, whatever the "
        "model name. A key only with --api-key. Answer now, Continue and Steer need a "
        "build from May 2025 or later, without --no-prefill-assistant.",
    ),
    continue_style="prefill",
)

CUSTOM = RemotePreset(
    id="custom",
    label=QT_TRANSLATE_NOOP("RemotePreset", "Other OpenAI-compatible endpoint"),
    backend="remote",
    base_url="",
    model="",
    api_key_env=None,
    needs_api_key=False,
    context_length=32_768,
    starts_in_reasoning=None,
    notes=QT_TRANSLATE_NOOP(
        "RemotePreset",
        "Any server with /v1/chat/completions. The reasoning is read from "
        "reasoning_content, reasoning, or <think> tags in the reply.",
    ),
)

PRESETS: tuple[RemotePreset, ...] = (DASHSCOPE, VLLM, LLAMA_SERVER, CUSTOM)


def preset(preset_id: str) -> RemotePreset:
    """The preset with this id; unknown ids (an old settings file) give CUSTOM."""
    return next((p for p in PRESETS if p.id == preset_id), CUSTOM)

"""QwQ on llama.cpp (llama-cpp-python): load a GGUF, stream a chat as ChatEvents.

- Sampling follows the model card (see :mod:`app.core.sampling`), passed explicitly
  so llama-cpp-python's own defaults never apply.
- The prompt is rendered here with the GGUF's chat template (answers only in the
  history), so the splitter knows from the prompt whether the output starts inside
  ``<think>``.
- Cancel sets a flag that is checked after every token and, through llama.cpp's
  abort callback, between the graph nodes of a long prompt: a cancel lands within
  one token, and within milliseconds while a prompt is being processed.
- llama-cpp-python's ``generate`` reuses the longest common token prefix of the KV
  cache, so a follow-up only processes what is new; the stats report how much.
- Continue and Steer (``chat(..., continuation=...)``) go on from a stopped reply: from
  its exact tokens when it is the reply generated last, so nothing is processed again,
  else from its stored text (:mod:`app.engine.resume`). A Steer hint is inserted into
  the trace (:func:`~app.core.thinking.steer_text`) as the user's. The stats then
  describe the part generated now: ``prompt_tokens`` is the prompt and the kept reply,
  and the one token sampled last but not yet evaluated when the reply stopped counts as
  cached (evaluating it is decoding), so a reply continued from the cache reports
  ``prompt_tokens_processed == 0``.
- Keeping conversations warm (issue 13): after a reply, ``prewarm`` rewrites the cache to
  the start of the next prompt (the trace dropped, the answer-only turn evaluated), and
  ``save_state``/``load_state`` move the cache to and from disk (llama.cpp's sequence
  state, sealed by :mod:`app.engine.kv_state`). These background jobs hold the engine
  like a reply, but a ``chat()`` cancels a prewarm and waits for the job instead of
  failing as busy. With a sliding-window model (gemma3) the cache is never reused from
  a point whose window is gone: it starts over.
"""

from __future__ import annotations

import codecs
import ctypes
import functools
import hashlib
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import llama_cpp

from app.core.errors import (
    ContextOverflowError,
    EngineBusyError,
    ModelFileError,
)
from app.core.events import (
    ChatEvent,
    FinishReason,
)
from app.core.i18n import translate
from app.core.loop_guard import LoopGuard
from app.core.messages import ChatMessage
from app.core.reasoning import Delta, DeltaKind, ReasoningSplitter, prompt_opens_reasoning
from app.core.sampling import SamplingSettings
from app.core.settings import AppSettings
from app.core.thinking import (
    WRAP_UP,
    Continuation,
    Inserter,
    ReasonEnded,
    ThinkingControl,
    steer_text,
)
from app.core.tool_calls import AUTO, ToolCallParser, ToolChoice, ToolSpec
from app.engine import kv_state, llama_log
from app.engine.base import PrewarmResult
from app.engine.chat_template import check_templates, render_prompt
from app.engine.context_plan import plan_context
from app.engine.gguf_file import GGUFInfo, read_gguf
from app.engine.model_info import ModelInfo
from app.engine.offload_plan import Hardware, kv_cache_advice, plan_fit
from app.engine.resume import LastReply, Resume, rebuild, reuse
from app.engine.special_tokens import PER_CALL, SpecialTexts, tokenize_in_pieces
from app.engine.stream import GenerationStream, Reply, call_id_prefix, check_request

log = logging.getLogger(__name__)

# Room kept free for the reply when old turns must be dropped to fit the context.
REPLY_RESERVE_MAX = 4096
# How long a chat() waits for a background job (prewarm, state save or load) to let go.
# A prewarm lets go within a graph node once cancelled; a state write cannot be cut
# short (a multi-GB state takes seconds on a slow disk).
BACKGROUND_WAIT_S = 120.0
# User messages that start with different characters: the tokens their renderings share
# are the template's, whatever the next message says.
_PLACEHOLDERS = ("x", "1", "?", " ")


def _common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


@functools.cache
def llama_build() -> str:
    """Which llama.cpp this process runs: llama-cpp-python's version and a digest of the
    compiled library (its path, size and modified time) and of its system info."""
    lib = Path(getattr(llama_cpp.llama_cpp._lib, "_name", "") or "")
    try:
        st = lib.stat()
        identity = f"{lib.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    except OSError:
        identity = str(lib)
    info = llama_cpp.llama_print_system_info().decode("utf-8", errors="replace")
    digest = hashlib.sha256(f"{identity}|{info}".encode()).hexdigest()[:16]
    return f"{llama_cpp.__version__}+{digest}"


@dataclass(frozen=True, slots=True)
class LoadSettings:
    context_length: int | None = None  # None: 32,768 (see context_plan)
    gpu_layers: int | None = None  # None: all layers on a GPU build, else 0
    threads: int | None = None  # None: llama.cpp's choice
    batch_size: int = 512
    flash_attention: bool = False
    kv_cache_type: KvCacheType = "f16"  # q8_0 halves the cache; it needs flash attention


def load_settings_from(
    settings: AppSettings,
    *,
    context_length: int | None = None,
    gpu_layers: int | None = None,
    threads: int | None = None,
) -> LoadSettings:
    """How every face loads a model: what it was told (a CLI flag; None when not given)
    wins, and the settings file fills the rest."""
    return LoadSettings(
        context_length=context_length if context_length is not None else settings.context_length,
        gpu_layers=gpu_layers if gpu_layers is not None else settings.gpu_layers,
        threads=threads if threads is not None else settings.threads,
        kv_cache_type="q8_0" if settings.kv_cache_type == "q8_0" else "f16",
    )


def fewer_layers(tried: int, layer_count: int) -> int | None:
    """The next try after running out of memory with ``tried`` GPU layers (-1: all):
    a quarter fewer each time, then none; None when the CPU was already tried."""
    if tried == 0:
        return None
    current = layer_count if tried < 0 or tried > layer_count else tried
    return current * 3 // 4 if current >= 4 else 0


def _out_of_memory(log_lines: list[str]) -> bool:
    text = "\n".join(log_lines).lower()
    return "out of memory" in text or ("alloc" in text and ("failed" in text or "unable" in text))


KvCacheType = Literal["f16", "q8_0"]
KV_GGML_TYPES: dict[str, int | None] = {"f16": None, "q8_0": llama_cpp.GGML_TYPE_Q8_0}
ProgressCallback = Callable[[float], None]  # 0.0 .. 1.0, called on the loading thread
_load_lock = threading.Lock()


@contextmanager
def _reporting_progress(on_progress: ProgressCallback | None) -> Iterator[None]:
    """Hand llama.cpp a load-progress callback for the duration of one Llama(...).

    llama-cpp-python's Llama takes no progress callback, but it builds its model
    parameters with ``llama_model_default_params()``, looked up when it loads: for the
    one load in progress (loads are serialized), that function returns parameters with
    our callback set.
    """
    if on_progress is None:
        yield
        return

    def report(progress: float, _data: ctypes.c_void_p) -> bool:
        with suppress(Exception):  # a face's bug must not abort the load
            on_progress(float(progress))
        return True

    callback = llama_cpp.llama_progress_callback(report)
    module = llama_cpp.llama_cpp
    original = module.llama_model_default_params

    def params_with_progress() -> Any:
        params = original()
        params.progress_callback = callback
        return params

    with _load_lock:
        module.llama_model_default_params = params_with_progress
        try:
            yield
        finally:
            module.llama_model_default_params = original


def backend_name() -> str:
    if not llama_cpp.llama_supports_gpu_offload():
        return "CPU"
    info = llama_cpp.llama_print_system_info().decode("utf-8", errors="replace").upper()
    for name in ("CUDA", "METAL", "VULKAN", "HIP", "SYCL"):
        if name in info:
            return "Metal" if name == "METAL" else name
    return "GPU"


def _explain_load_failure(gguf: GGUFInfo, log_lines: list[str]) -> str:
    text = "\n".join(log_lines)
    lowered = text.lower()
    if "unknown model architecture" in lowered:
        return translate(
            "LocalEngine",
            "This model's architecture ('{architecture}') is not supported by the bundled "
            "llama.cpp: {path}",
        ).format(architecture=gguf.architecture, path=gguf.path)
    if "alloc" in lowered and ("failed" in lowered or "unable" in lowered):
        return translate(
            "LocalEngine",
            "Not enough memory to load {name} ({size:.1f} GB): try a smaller quantization, "
            "fewer GPU layers or a shorter context.",
        ).format(name=gguf.name, size=gguf.file_size / 1e9)
    errors = [ln.strip() for ln in log_lines if "error" in ln.lower() or "failed" in ln.lower()]
    detail = f" ({errors[-1]})" if errors else ""
    return translate("LocalEngine", "llama.cpp could not load the model{detail}: {path}").format(
        detail=detail, path=gguf.path
    )


class LocalEngine:
    """One loaded GGUF model. Load and generation block: call them off the GUI thread."""

    def __init__(
        self,
        path: str | Path,
        settings: LoadSettings | None = None,
        on_progress: ProgressCallback | None = None,
        hardware: Hardware | None = None,
    ) -> None:
        settings = settings or LoadSettings()
        self._gguf = read_gguf(path)
        # llama-cpp-python compiles the file's chat templates as it loads: a broken or
        # hostile one is refused here, as one clear line, and never reaches it.
        check_templates(self._gguf.metadata)
        plan = plan_context(
            settings.context_length, self._gguf.architecture, self._gguf.context_length
        )
        gpu_layers = settings.gpu_layers
        advice = ""
        if not llama_cpp.llama_supports_gpu_offload():
            gpu_layers = 0
        elif gpu_layers is None:  # automatic: as many layers as the memory plan allows
            from app.engine.hardware import detect

            hw = hardware or detect(True)
            fit = plan_fit(self._gguf, hw, plan.n_ctx, settings.kv_cache_type)
            gpu_layers = fit.gpu_layers
            log.info("offload plan: %s", fit.reason)
            if settings.kv_cache_type == "f16":
                advice = kv_cache_advice(self._gguf, hw, plan.n_ctx)
        kv_type = KV_GGML_TYPES[settings.kv_cache_type]
        rope: dict[str, float | int] = {}
        if plan.rope_scaling == "yarn":
            rope = {
                "rope_scaling_type": llama_cpp.LLAMA_ROPE_SCALING_TYPE_YARN,
                "rope_freq_scale": 1.0 / plan.yarn_factor,
                "yarn_orig_ctx": plan.yarn_original_context,
            }
        llama_log.install()
        started = time.perf_counter()
        layers = self._gguf.layer_count or 0
        load_note = advice
        asked_layers = gpu_layers
        while True:
            mark = llama_log.mark()
            try:
                with _reporting_progress(on_progress):
                    self._llm = llama_cpp.Llama(
                        model_path=str(self._gguf.path),
                        n_ctx=plan.n_ctx,
                        n_batch=settings.batch_size,
                        n_ubatch=settings.batch_size,
                        n_gpu_layers=gpu_layers,
                        n_threads=settings.threads,
                        n_threads_batch=settings.threads,
                        flash_attn=settings.flash_attention or kv_type is not None,
                        type_k=kv_type,
                        type_v=kv_type,
                        verbose=False,
                        **rope,  # type: ignore[arg-type]
                    )
                break
            except (ValueError, RuntimeError, OSError) as e:
                lines = llama_log.since(mark)
                retry = fewer_layers(gpu_layers, layers) if _out_of_memory(lines) else None
                if retry is None:
                    message = _explain_load_failure(self._gguf, lines)
                    log.error("%s", message)
                    raise ModelFileError(message) from e
                log.warning("out of memory with %d GPU layers; trying %d", gpu_layers, retry)
                gpu_layers = retry
                shown = "all" if asked_layers < 0 else str(asked_layers)
                load_note = translate(
                    "LocalEngine",
                    "Out of GPU memory with {shown} layers on the GPU: loaded with {gpu} of "
                    "{all}. Lower the context or the GPU layers to avoid the retry.",
                ).format(shown=shown, gpu=gpu_layers, all=layers)
        offloaded = 0
        if llama_cpp.llama_supports_gpu_offload():
            offloaded = layers if gpu_layers < 0 else min(gpu_layers, layers)
        self._info = ModelInfo(
            path=self._gguf.path,
            name=self._gguf.name,
            architecture=self._gguf.architecture,
            parameter_count=self._gguf.parameter_count,
            parameter_label=self._gguf.parameter_label,
            quantization=self._gguf.quantization,
            layer_count=self._gguf.layer_count,
            trained_context=self._gguf.context_length,
            chat_template=self._gguf.chat_template,
            file_size=self._gguf.file_size,
            context_length=self._llm.n_ctx(),
            rope_scaling=plan.rope_scaling,
            gpu_layers=offloaded,
            backend=backend_name() if offloaded else "CPU",
            context_note=plan.note,
            load_note=load_note,
            kv_cache_type=settings.kv_cache_type,
        )
        log.info(
            "loaded %s (%s, %s, %s) in %.1f s: context %d (%s), %d GPU layers",
            self._info.path,
            self._info.architecture,
            self._info.parameter_label,
            self._info.quantization,
            time.perf_counter() - started,
            self._info.context_length,
            self._info.rope_scaling,
            self._info.gpu_layers,
        )
        self._vocab = self._llm._model.vocab
        self._specials: SpecialTexts | None = None
        self._bos_text = self._token_text(self._llm.token_bos())
        self._eos_text = self._token_text(self._llm.token_eos())
        self._piece_buf = ctypes.create_string_buffer(256)
        self._busy = threading.Lock()
        self._abort = threading.Event()
        self._job_lock = threading.Lock()  # guards the two below
        self._in_background = False  # a prewarm, save or load holds _busy
        self._chats_waiting = 0  # chat() calls waiting for a background job to let go
        self._flash_attn = settings.flash_attention or kv_type is not None
        self._last: LastReply | None = None  # the reply generated last, for Continue
        # Checked by llama.cpp between graph nodes, so a cancel interrupts a long prompt.
        # It is a Python call per node (hundreds per token), so it is only installed
        # while a prompt is processed; between tokens the token loop checks the flag.
        self._abort_cb = llama_cpp.ggml_abort_callback(lambda _data: self._abort.is_set())
        self._no_abort_cb = llama_cpp.ggml_abort_callback()  # NULL

    def _watch_abort_in_llama(self, on: bool) -> None:
        callback = self._abort_cb if on else self._no_abort_cb
        llama_cpp.llama_set_abort_callback(self._llm._ctx.ctx, callback, None)

    # -- facts -------------------------------------------------------------------------

    @property
    def info(self) -> ModelInfo:
        return self._info

    @property
    def description(self) -> str:
        info = self._info
        where = (
            translate("LocalEngine", "{backend}, {gpu}/{all} layers on the GPU").format(
                backend=info.backend, gpu=info.gpu_layers, all=info.layer_count
            )
            if info.gpu_layers
            else "CPU"
        )
        return f"{info.name} · {info.parameter_label} · {info.quantization} · {where}"

    @property
    def model_file(self) -> Path:
        return Path(self._info.path)

    @property
    def kv_cache(self) -> LocalEngine:
        return self

    def state_size(self) -> int:
        """What llama.cpp would write for the cache now (it counts, it copies nothing); 0
        when it cannot tell."""
        try:
            return int(llama_cpp.llama_state_seq_get_size(self._llm._ctx.ctx, 0))
        except Exception:  # an estimate only: the size is checked again after writing
            return 0

    @property
    def cached_tokens(self) -> int:
        """Tokens held in the KV cache now (the last prompt and reply, or what a prewarm
        or a restored state left)."""
        return int(self._llm.n_tokens)

    def _token_text(self, token: int) -> str:
        if token < 0:
            return ""
        return self._llm._model.token_get_text(token)

    def token_piece(self, token: int) -> bytes:
        """The bytes of one token, special tokens included."""
        n = llama_cpp.llama_token_to_piece(self._vocab, token, self._piece_buf, 256, 0, True)
        if n < 0:
            big = ctypes.create_string_buffer(-n)
            n = llama_cpp.llama_token_to_piece(self._vocab, token, big, -n, 0, True)
            return big.raw[:n]
        return self._piece_buf.raw[:n]

    def render(self, messages: Sequence[ChatMessage], tools: Sequence[ToolSpec] = ()) -> str:
        """The prompt text for ``messages`` (and the ``tools`` offered) with the model's
        chat template."""
        return render_prompt(
            self._info.chat_template,
            messages,
            bos_token=self._bos_text,
            eos_token=self._eos_text,
            tools=tools,
        )

    def tokenize(self, prompt: str) -> list[int]:
        add_bos = not (self._bos_text and prompt.startswith(self._bos_text))

        def whole(text: str, bos: bool) -> list[int]:
            return list(self._llm.tokenize(text.encode("utf-8"), add_bos=bos, special=True))

        if len(prompt) <= 2 * PER_CALL:
            return whole(prompt, add_bos)
        if self._specials is None:  # built once, on the first long prompt (~0.1 s)
            self._specials = SpecialTexts.of_vocab(self._vocab)
        return tokenize_in_pieces(prompt, add_bos, self._specials, whole)

    # -- chat --------------------------------------------------------------------------

    def _fit(
        self, messages: Sequence[ChatMessage], tools: Sequence[ToolSpec] = ()
    ) -> tuple[str, list[int], int]:
        """Render and tokenize, dropping the oldest exchanges if the context is too small.

        Policy: keep system messages and the newest turns; drop whole exchanges from
        the oldest on until the prompt leaves min(4,096, context/8) tokens for the
        reply. If only the last user message is left and it still does not fit the
        context at all, that is a :class:`ContextOverflowError`.

        Linear in the history: each message is tokenized once to know what dropping
        it saves (its content plus its share of the template's tokens), the cut is
        chosen by summing those counts, and the prompt is rendered again only to
        check the cut (a few times at most when the estimate was short).
        """
        n_ctx = self._info.context_length
        budget = n_ctx - min(REPLY_RESERVE_MAX, n_ctx // 8)  # what the prompt may take
        system = [m for m in messages if m.role == "system"]
        turns = [m for m in messages if m.role != "system"]
        prompt = self.render([*system, *turns], tools)
        tokens = self.tokenize(prompt)
        if len(tokens) <= budget:
            return prompt, tokens, 0
        # Where each exchange starts (a user message); the last one is never dropped.
        starts = [i for i in range(1, len(turns)) if turns[i].role == "user"]
        counts = [self._count_tokens(m.content) for m in [*system, *turns]]
        share = max(0.0, (len(tokens) - sum(counts)) / (len(counts) + 1))
        saved = [0.0]  # saved[i]: tokens saved by dropping turns[:i]
        for count in counts[len(system) :]:
            saved.append(saved[-1] + count + share)
        cut = 0  # index into starts + 1: how many exchanges are dropped
        while len(tokens) > budget and cut < len(starts):
            # The fewest more exchanges whose estimated tokens cover the excess.
            dropped_now = starts[cut - 1] if cut else 0
            excess = len(tokens) - budget
            cut += 1
            while cut < len(starts) and saved[starts[cut - 1]] - saved[dropped_now] < excess:
                cut += 1
            prompt = self.render([*system, *turns[starts[cut - 1] :]], tools)
            tokens = self.tokenize(prompt)
        dropped = starts[cut - 1] if cut else 0
        if len(tokens) <= budget or len(tokens) < n_ctx:
            return prompt, tokens, dropped
        raise ContextOverflowError(
            translate(
                "LocalEngine",
                "The prompt is {tokens:,} tokens but the context holds {n_ctx:,}: shorten it or "
                "load the model with a longer context.",
            ).format(tokens=len(tokens), n_ctx=n_ctx)
        )

    @property
    def cannot_continue(self) -> str | None:
        return None

    def count_tokens(self, text: str) -> int:
        """Tokens ``text`` takes in a prompt (an attachment, before it is sent)."""
        return self._count_tokens(text)

    def _count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def chat(
        self,
        messages: Sequence[ChatMessage],
        sampling: SamplingSettings | None = None,
        thinking: ThinkingControl | None = None,
        continuation: Continuation | None = None,
        tools: Sequence[ToolSpec] = (),
        tool_choice: ToolChoice = AUTO,
    ) -> LocalGeneration:
        """Check the request and return its generation (iterate it to run it).

        ``tools``: what the model may call, rendered by the model's template; the calls
        in its answer then come out as ``ToolCallRequested`` (see :mod:`app.core.events`).
        ``tool_choice``: "none" offers none; "required" or a named tool writes the start
        of a call where the answer begins (see ``LocalGeneration._run``).

        ``thinking`` sets the budgets and the loop guard (default: no budget, and a
        trace that repeats itself is turned into an answer); with ``continuation`` they
        apply to the part generated now.

        ``continuation`` goes on from a stopped reply to the last user message (see
        :mod:`app.engine.resume`): from the KV cache when it is the reply generated
        last, else from its text, processed again."""
        sampling = sampling or SamplingSettings()
        check_request(messages, continuation, self.cannot_continue)
        tool_choice.check(tools)
        if tool_choice.mode == "none":
            tools = ()
        self._acquire_for_chat()
        try:
            prompt, tokens, dropped = self._fit(messages, tools)
            resume = steer = None
            if continuation is not None:
                resume, steer = self._resume(prompt, tokens, continuation)
            context = resume.context if resume is not None else tokens
            common = _common_prefix(self._llm._input_ids.tolist(), context)
            if self._usable_prefix(common) < common:
                # llama-cpp-python would go on from a prefix whose sliding-window cells
                # are gone (a restored state, then an earlier message edited): start over.
                self._truncate(0)
        except BaseException:
            self._busy.release()
            raise
        self._abort.clear()
        return LocalGeneration(
            self,
            prompt,
            tokens,
            sampling,
            dropped,
            thinking,
            resume=resume,
            steer=steer,
            with_tools=bool(tools),
            tool_choice=tool_choice,
        )

    def _resume(
        self, prompt: str, tokens: list[int], continuation: Continuation
    ) -> tuple[Resume, Steer | None]:
        """Where a continuation starts, and the Steer hint's tokens; checks it fits."""
        opens = prompt_opens_reasoning(prompt)
        resume = reuse(self._last, tokens, continuation, opens, self.token_piece)
        if resume is None:
            resume = rebuild(prompt, tokens, continuation, self.tokenize)
        steer = None
        if continuation.hint:
            text = steer_text(continuation.hint)
            ids = self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)
            steer = Steer(text, [int(t) for t in ids])
        total = len(resume.context) + (len(steer.tokens) if steer else 0)
        n_ctx = self._info.context_length
        if total >= n_ctx:
            raise ContextOverflowError(
                translate(
                    "LocalEngine",
                    "The reply to continue is {tokens:,} tokens with its prompt but the context "
                    "holds {n_ctx:,}: ask again in a new message or load the model with a "
                    "longer context.",
                ).format(tokens=total, n_ctx=n_ctx)
            )
        return resume, steer

    # -- keeping conversations warm (issue 13) ---------------------------------------------

    @contextmanager
    def _background(self, wait: float) -> Iterator[bool]:
        """Hold the engine for a background job (prewarm, save, load): yields False when
        the engine stayed busy for ``wait`` seconds (a reply is being generated).

        While it runs, a ``chat()`` does not fail as busy: it cancels the job (through
        the abort flag, which llama.cpp also checks between graph nodes) and waits for
        it to let go. The flag is cleared before the job is marked as background, so a
        chat's cancel is never lost. A chat waiting for the engine goes first: a job
        that gets it meanwhile lets go at once (yields False)."""
        if not self._busy.acquire(timeout=wait):
            yield False
            return
        try:
            with self._job_lock:
                chat_first = self._chats_waiting > 0
                if not chat_first:
                    self._abort.clear()
                    self._in_background = True
            if chat_first:
                yield False
                return
            try:
                yield True
            finally:
                with self._job_lock:
                    self._in_background = False
        finally:
            self._busy.release()

    def _acquire_for_chat(self) -> None:
        """Take the engine for a reply: a background job is cancelled and waited for,
        a reply being generated is an :class:`EngineBusyError`."""
        if self._busy.acquire(blocking=False):
            return
        with self._job_lock:
            background = self._in_background
            if background:
                self._abort.set()
                self._chats_waiting += 1
        if not background:
            raise EngineBusyError(
                translate("LocalEngine", "The model is busy with another reply; stop it or wait.")
            )
        # A cancelled prewarm lets go within one graph node; a save or load in progress
        # cannot be cut short and finishes first (seconds for a multi-GB state).
        try:
            if not self._busy.acquire(timeout=BACKGROUND_WAIT_S):
                raise EngineBusyError(
                    translate(
                        "LocalEngine", "The model is busy with another reply; stop it or wait."
                    )
                )
        finally:
            with self._job_lock:
                self._chats_waiting -= 1

    def next_prompt_start(
        self, messages: Sequence[ChatMessage], tools: Sequence[ToolSpec] = ()
    ) -> list[int]:
        """The tokens that the prompt following ``messages`` (a history ending with an
        answer) starts with, whatever the next user message says.

        The history is rendered with a few different placeholder user messages and the
        common token prefix is kept: it stops before the first token that depends on the
        message (with QwQ's template, right after ``<|im_start|>user\\n``), so a merge of
        the template's last characters with the message's first ones never gets in."""
        system = [m for m in messages if m.role == "system"]
        turns = [m for m in messages if m.role != "system"]
        common: list[int] | None = None
        for placeholder in _PLACEHOLDERS:
            prompt = self.render([*system, *turns, ChatMessage.user(placeholder)], tools)
            tokens = self.tokenize(prompt)
            common = tokens if common is None else common[: _common_prefix(common, tokens)]
        return common or []

    def prewarm(
        self, messages: Sequence[ChatMessage], wait: float = 2.0, tools: Sequence[ToolSpec] = ()
    ) -> PrewarmResult:
        """Make the KV cache hold exactly the start of the prompt that will follow
        ``messages`` (a history ending with an assistant answer, answers only): the
        trace's tokens are dropped from the cache and the answer-only turn, as the
        template renders it into history, is evaluated. The next follow-up then
        processes only the new user message and the template's few tokens.

        Blocking (run it off the GUI thread, in idle time). A ``chat()`` started
        meanwhile cancels it at once and waits for it to let go; what was evaluated
        stays usable. Never changes what the model sees.

        ``wait``: how long to wait for a reply still finishing (its last event is out
        before it lets go of the engine); a reply still running after that is left
        alone and the result says ``cancelled``. A history too long for the next turn
        to keep whole (the next chat will drop old turns) is left as it is. ``tools``:
        the tools the next reply will offer (they are in its prompt's system turn)."""
        try:
            target = self.next_prompt_start(messages, tools)
        except Exception as e:  # a template that refuses the history: nothing to warm
            log.info("prewarm skipped: the history does not render (%s)", e)
            return PrewarmResult(0, 0, False)
        n_ctx = self._info.context_length
        if not target or len(target) > n_ctx - min(REPLY_RESERVE_MAX, n_ctx // 8):
            return PrewarmResult(0, 0, False)
        with self._background(wait) as held:
            if not held:
                return PrewarmResult(0, 0, True)
            llm = self._llm
            kept = _common_prefix(llm._input_ids.tolist(), target)
            kept = self._usable_prefix(kept)
            self._truncate(kept)
            evaluated = 0
            cancelled = False
            self._watch_abort_in_llama(True)
            try:
                for i in range(kept, len(target), llm.n_batch):
                    if self._abort.is_set():
                        cancelled = True
                        break
                    llm.eval(target[i : i + llm.n_batch])
                    evaluated = llm.n_tokens - kept
            except RuntimeError as e:  # aborted inside a batch, or a failed decode
                cancelled = self._abort.is_set()
                if not cancelled:
                    log.warning("prewarm failed: %s", e)
                self._truncate(llm.n_tokens)  # what that batch left behind goes
            finally:
                self._watch_abort_in_llama(False)
            return PrewarmResult(kept, evaluated, cancelled)

    def _usable_prefix(self, kept: int) -> int:
        """How much of a ``kept``-token prefix the cache can really go on from. With a
        sliding-window cache (gemma3) the window's layers may lack the old positions (a
        restored state holds only the last window; a long context overwrites them):
        going on from a point whose window is missing means starting over."""
        n_swa = llama_cpp.llama_model_n_swa(self._llm._model.model)
        if kept == 0 or n_swa <= 0:
            return kept
        mem = llama_cpp.llama_get_memory(self._llm._ctx.ctx)
        pos_min = llama_cpp.llama_memory_seq_pos_min(mem, 0)
        return kept if pos_min <= max(0, kept - n_swa) else 0

    def _truncate(self, n: int) -> None:
        """Keep the first ``n`` tokens of the cache; ``n_tokens`` and ``input_ids`` then
        describe exactly what the KV cache holds."""
        llm = self._llm
        mem = llama_cpp.llama_get_memory(llm._ctx.ctx)
        if n == 0:
            llama_cpp.llama_memory_clear(mem, True)
        elif not llama_cpp.llama_memory_seq_rm(mem, -1, n, -1):
            llama_cpp.llama_memory_clear(mem, True)
            n = 0
        llm.n_tokens = n
        llm._requires_eval = True  # no live logits for the last token kept

    def save_state(self, path: Path, wait: float = 2.0) -> int:
        """Write the cache (its tokens and their KV state) to ``path`` as llama.cpp
        streams it (tensor by tensor, no second copy in memory); returns the tokens
        saved. Not atomic by itself: the snapshot cache writes to a temporary name and
        renames. :class:`OSError` when llama.cpp cannot write it (disk full, no such
        folder), :class:`EngineBusyError` when a reply still runs after ``wait``
        seconds. A chat() started meanwhile waits for the write to end."""
        with self._background(wait) as held:
            if not held:
                raise EngineBusyError("The model is busy with a reply; the state was not saved.")
            llm = self._llm
            n = int(llm.n_tokens)
            self._truncate(n)  # cells a cancelled batch may have left go first
            ids = (llama_cpp.llama_token * max(n, 1))(*llm.input_ids[:n].tolist())
            written = llama_cpp.llama_state_seq_save_file(
                llm._ctx.ctx, os.fsencode(path), 0, ids, n
            )
            if not written:
                raise OSError(f"llama.cpp could not write the model's state to {path}")
            kv_state.seal(path)
            return n

    def load_state(self, path: Path, wait: float = 2.0) -> int:
        """Replace the cache with the state in ``path``; returns the tokens restored, or 0
        when the file is refused (damaged, truncated, another shape, not one this engine
        wrote): the cache is then empty and the next chat simply processes its prompt.

        Checked before llama.cpp reads it: the seal :meth:`save_state` appends (size and
        CRC-32, see :mod:`app.engine.kv_state`), since llama.cpp ends the process on a
        truncated file. After: every token is in this model's vocabulary and the KV
        cache holds exactly the positions of the tokens. :class:`EngineBusyError`
        when a reply still runs after ``wait`` seconds (the cache is then untouched)."""
        with self._background(wait) as held:
            if not held:
                raise EngineBusyError("The model is busy with a reply; the state was not loaded.")
            llm = self._llm
            capacity = self._info.context_length
            ids = (llama_cpp.llama_token * capacity)()
            count = ctypes.c_size_t(0)
            self._truncate(0)
            read = 0
            if kv_state.is_sealed(path):
                read = llama_cpp.llama_state_seq_load_file(
                    llm._ctx.ctx, os.fsencode(path), 0, ids, capacity, ctypes.byref(count)
                )
            n = int(count.value)
            tokens = ids[:n] if read and 0 < n <= capacity else []
            mem = llama_cpp.llama_get_memory(llm._ctx.ctx)
            n_vocab = llm.n_vocab()
            if (
                not tokens
                or llama_cpp.llama_memory_seq_pos_max(mem, 0) != n - 1
                or min(tokens) < 0
                or max(tokens) >= n_vocab
            ):
                if read:
                    log.warning("state %s does not match this model: ignored", path)
                else:
                    log.info("state %s could not be loaded: ignored", path)
                self._truncate(0)
                return 0
            llm.input_ids[:n] = tokens
            llm.n_tokens = n
            llm._requires_eval = True  # the file has no logits: the next prompt evaluates one
            return n

    @property
    def state_key(self) -> dict[str, str | int]:
        """What a saved state is only valid for: the model file (resolved path, size,
        modified time), the context size, the KV-cache type, flash attention (it decides
        the V cache's layout) and the llama.cpp build: llama-cpp-python's version and a
        digest of the compiled library's identity (its path, size and modified time) and
        of its system info (backends and CPU features)."""
        path = Path(self._info.path).resolve()
        st = path.stat()
        return {
            "model": str(path),
            "size": st.st_size,
            "mtime_ns": st.st_mtime_ns,
            "n_ctx": self._info.context_length,
            "kv": self._info.kv_cache_type,
            "flash_attn": int(self._flash_attn),
            "build": llama_build(),
        }

    def cancel(self) -> None:
        """Cancel the running generation, if any (safe from any thread)."""
        self._abort.set()

    def close(self) -> None:
        self.cancel()
        with self._busy:
            llm = getattr(self, "_llm", None)
            if llm is not None:
                llm.close()
                self._llm = None  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class Steer:
    """A hint to insert into the trace before thinking goes on (see ``steer_text``)."""

    text: str
    tokens: list[int]


@dataclass
class _Owed:
    """The start of a continued reply's new text that is stored already (the splitter
    was primed with it): trimmed from what streams, so it is not shown twice."""

    chars: int
    kind: DeltaKind

    @classmethod
    def of(cls, resume: Resume | None) -> _Owed:
        if resume is None:
            return cls(0, "reasoning")
        return cls(resume.owed, "answer" if resume.continuation.mode == "answer" else "reasoning")

    def trim(self, delta: Delta) -> str:
        text = delta.text
        if self.chars and delta.kind == self.kind:
            text, self.chars = text[self.chars :], max(0, self.chars - len(text))
        return text


class LocalGeneration(GenerationStream):
    """One reply generated by llama.cpp, token by token (see :class:`GenerationStream`)."""

    def __init__(
        self,
        engine: LocalEngine,
        prompt: str,
        tokens: list[int],
        sampling: SamplingSettings,
        dropped: int,
        thinking: ThinkingControl | None = None,
        *,
        resume: Resume | None = None,
        steer: Steer | None = None,
        with_tools: bool = False,
        tool_choice: ToolChoice = AUTO,
    ) -> None:
        self._engine = engine
        self.with_tools = with_tools  # the answer's <tool_call> blocks are calls
        self.tool_choice = tool_choice
        self.prompt = prompt
        self.resume = resume  # set when a stopped reply goes on (Continue, Steer)
        self.steer = steer
        # What comes before the first new token: the prompt, and a continued reply.
        self.prompt_tokens = resume.context if resume is not None else tokens
        self._rendered_tokens = resume.prompt if resume is not None else tokens
        self.sampling = sampling
        self.dropped_messages = dropped
        self.starts_in_reasoning = prompt_opens_reasoning(prompt)
        super().__init__(thinking)

    @property
    def prompt_size(self) -> int | None:
        return len(self.prompt_tokens)

    def cancel(self) -> None:
        self._engine._abort.set()

    def _never_started(self) -> None:
        self._engine._busy.release()  # _run's finally never ran: free the engine here

    def _run(self) -> Generator[ChatEvent, None, None]:
        engine = self._engine
        llm = engine._llm
        tokens = self.prompt_tokens
        sampling = self.sampling
        thinking = self.thinking
        n_ctx = engine.info.context_length
        limit = n_ctx - len(tokens)
        if sampling.max_tokens is not None:
            # A Steer hint is the user's text: it does not use up the reply's tokens.
            hinted = len(self.steer.tokens) if self.steer is not None else 0
            limit = min(limit, sampling.max_tokens + hinted)

        resume = self.resume
        steer = self.steer

        # What llama-cpp-python's generate() will reuse from the KV cache.
        cached = 0
        for a, b in zip(llm._input_ids.tolist(), tokens, strict=False):
            if a != b:
                break
            cached += 1
        if resume is not None and cached >= len(tokens) - 1:
            # A continued reply found in the cache: at most the token sampled last (not
            # yet evaluated when the reply stopped) is evaluated, which is decoding.
            cached = len(tokens)
        else:
            cached = min(cached, len(tokens) - 1)

        if resume is not None:  # primed with the old reply: only new text comes out
            splitter, decoder = resume.splitter, resume.decoder
            kept = resume.kept
            app_spans = list(resume.app_spans)
        else:
            splitter = ReasoningSplitter(starts_in_reasoning=self.starts_in_reasoning)
            decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
            kept, app_spans = [], []
        closed_before = splitter.reasoning_finished  # mode "answer": closed already
        guard = LoopGuard() if thinking.loop_guard != "off" else None
        reply = Reply(calls=ToolCallParser(id_prefix=call_id_prefix()) if self.with_tools else None)
        # tool_choice "required" or a named tool: the start of a call, written where the
        # answer begins (when the trace closes, or before the first token when the prompt
        # opens no trace); ``one_call``: after the forced call the reply ends. A continued
        # reply is not forced (what it goes on from was generated freely).
        call_start = self.tool_choice.call_start if self.with_tools and resume is None else None
        calls_before: int | None = None  # set when a one-call start was written
        if resume is not None:  # the whole reply: what was kept, then what is new
            reply.reasoning_before = resume.continuation.reasoning
            if resume.continuation.mode == "answer":
                reply.answer_before = resume.continuation.answer
        output: list[int] = []  # the tokens generated (and inserted) after the context
        generated = 0
        inserted = 0
        sampled = 0
        primed = splitter.reasoning_chunks  # the old reply's, when it goes on
        reasoning_base = primed  # budgets count new thinking tokens
        finish: FinishReason = "length"
        error: str | None = None
        abort = engine._abort

        llm.set_seed(sampling.seed if sampling.seed is not None else random.getrandbits(31))

        def start(context: list[int]) -> Generator[int, Any, None]:
            return llm.generate(
                context,
                top_k=sampling.top_k,
                top_p=sampling.top_p,
                min_p=sampling.min_p,
                typical_p=1.0,
                temp=sampling.temperature,
                repeat_penalty=sampling.repeat_penalty,
                frequency_penalty=sampling.frequency_penalty,
                presence_penalty=sampling.presence_penalty,
            )

        owed = _Owed.of(resume)

        def emit(deltas: list[Delta], by: Inserter | None = None) -> Iterator[ChatEvent]:
            for d in deltas:
                text = owed.trim(d)
                if not text:
                    continue
                if d.kind == "reasoning":
                    yield reply.reasoning_delta(text, by)
                else:
                    yield from reply.answer_events(text)

        steer_extra = 0  # the hint's tokens beyond the one chunk it is fed as
        if steer is not None:
            # Steer: the hint goes into the trace as the user's, then is evaluated with
            # the context; thinking goes on after it.
            yield from emit(splitter.feed(steer.text), "user")
            output.extend(steer.tokens)
            generated = inserted = len(steer.tokens)
            steer_extra = len(steer.tokens) - (splitter.reasoning_chunks - primed)
            reasoning_base = splitter.reasoning_chunks

        def inserted_tokens(text: str) -> list[int]:
            return [int(t) for t in llm.tokenize(text.encode(), add_bos=False, special=True)]

        def calls_found() -> int:
            return len(reply.calls.found) if reply.calls is not None else 0

        if call_start is not None and not splitter.in_reasoning:
            # No trace to wait for (a template that opens none): the answer starts now.
            start_ids = inserted_tokens(call_start)
            if len(tokens) + len(start_ids) < n_ctx:
                yield from emit(splitter.feed(call_start), "app")
                output.extend(start_ids)
                generated += len(start_ids)
                inserted += len(start_ids)
                if self.tool_choice.one_call:
                    calls_before = calls_found()
            call_start = None
        stream = start(tokens + output)
        try:
            try:
                if limit <= generated:
                    finish = "length"
                else:
                    engine._watch_abort_in_llama(True)
                    segment_started = False
                    while True:
                        force: ReasonEnded | None = None
                        for token in stream:
                            now = time.perf_counter()
                            sampled += 1
                            if not segment_started:
                                segment_started = True
                                engine._watch_abort_in_llama(False)
                            reply.token(now)
                            if abort.is_set():
                                finish = "cancelled"
                                break
                            if llama_cpp.llama_vocab_is_eog(engine._vocab, token):
                                finish = "stop"
                                break
                            generated += 1
                            output.append(token)
                            text = decoder.decode(engine.token_piece(token))
                            was_thinking = splitter.in_reasoning
                            if text:
                                yield from emit(splitter.feed(text))
                            if (
                                splitter.reasoning_finished
                                and reply.ended_by is None
                                and not closed_before
                            ):
                                reply.thought(now, "model")
                            if call_start is not None and splitter.reasoning_finished:
                                break  # the call's start is written below
                            if calls_before is not None and calls_found() > calls_before:
                                finish = "stop"  # the named tool's call is closed
                                break
                            if guard is not None:
                                if was_thinking and not splitter.in_reasoning:
                                    guard.reset()  # the answer is not compared with the trace
                                elif text and guard.feed(text):
                                    if splitter.in_reasoning and thinking.loop_guard == "answer":
                                        force = "loop"
                                        guard.reset()
                                    else:
                                        finish = "repetition"
                                        break
                            if abort.is_set():
                                finish = "cancelled"
                                break
                            if generated >= limit:
                                finish = "length"
                                break
                            if splitter.in_reasoning:
                                thought = splitter.reasoning_chunks - reasoning_base
                                force = force or reply.force_due(
                                    thinking, self._force_by, thought, now
                                )
                                if force is not None:
                                    break
                            else:
                                self._force_by = None  # nothing to close
                        opening = call_start is not None and (
                            force is not None or splitter.reasoning_finished
                        )
                        if force is None and not opening:
                            break
                        # Close the trace in place and/or start the answer's call: the
                        # text follows the tokens already generated, and only it (and the
                        # last token) is evaluated.
                        stream.close()
                        self._force_by = None
                        insertion = (WRAP_UP if force is not None else "") + (
                            call_start if opening and call_start is not None else ""
                        )
                        wrap = inserted_tokens(insertion)
                        if len(tokens) + len(output) + len(wrap) >= n_ctx:
                            finish = "length"
                            break
                        if opening:
                            call_start = None
                            if self.tool_choice.one_call:
                                calls_before = calls_found()
                        for t in wrap:
                            text = decoder.decode(engine.token_piece(t))
                            if text:
                                yield from emit(splitter.feed(text), "app")
                        if force is not None:
                            reply.thought(
                                time.perf_counter(), force if splitter.reasoning_finished else None
                            )
                        at = len(kept) + len(output)
                        app_spans.append((at, at + len(wrap)))
                        output.extend(wrap)
                        generated += len(wrap)
                        inserted += len(wrap)
                        if generated >= limit:
                            finish = "length"
                            break
                        engine._watch_abort_in_llama(True)
                        segment_started = False
                        stream = start(tokens + output)
            except RuntimeError as e:
                if abort.is_set():
                    finish = "cancelled"
                else:
                    finish, error = "error", f"llama.cpp failed while generating: {e}"
            except Exception as e:  # never let a face crash on a generation
                finish, error = "error", f"Generation failed: {e}"
            finally:
                engine._watch_abort_in_llama(False)
                stream.close()
            tail = decoder.decode(b"", final=True)
            if tail:
                yield from emit(splitter.feed(tail))
            yield from emit(splitter.finish())
            yield from reply.flush_calls()

            new_reasoning = splitter.reasoning_chunks - primed + steer_extra
            stats = reply.stats(
                prompt_tokens=len(tokens),
                cached=cached,
                generated=generated,
                reasoning_tokens=min(new_reasoning, generated),
                decoded=sampled,
                # A continued answer's trace closed before: no thinking time now.
                thinking=splitter.had_reasoning and not closed_before,
                reasoning_finished=splitter.reasoning_finished,
                dropped=self.dropped_messages,
                inserted=inserted,
            )
            yield reply.done(finish, stats, splitter.reasoning_finished, error)
        finally:
            # The tokens behind the reply, so that Continue can find them in the cache.
            engine._last = LastReply(self._rendered_tokens, kept + output, app_spans)
            self._closed = True
            engine._busy.release()

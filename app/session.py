"""A chat session: a stored conversation, an engine, and a reply saved as it streams.

``reply``, ``regenerate`` and ``edit`` add the user's message to the store, build
the history from the branch on screen (answers only: the engine never sees a stored
trace), and return a :class:`StoredGeneration`. Iterating it yields the engine's
ChatEvents unchanged while the reply is written to the database at least once a
second, so a killed process loses at most the last second. If the disk fills up,
the stream goes on, ``save_error`` says why, and ``save()`` retries later.

``continue_reply`` goes on from a reply that stopped (Stop, length, a budget, the
loop guard, "answer now", a crash): the same stored message is updated in place,
and the parts of the trace the app or the user inserted are recorded as spans.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, replace
from typing import Any, assert_never

from app.core.attachments import PAGE_MARK, Attachment, counted, with_attachments
from app.core.citations import Citation, Source, find_citations, merge_sources, pages_of
from app.core.errors import InvalidRequestError
from app.core.events import (
    AnswerDelta,
    ChatEvent,
    GenerationDone,
    ReasoningDelta,
    ToolApprovalNeeded,
    ToolCallRequested,
    ToolCallResult,
)
from app.core.i18n import translate
from app.core.messages import ChatMessage
from app.core.sampling import SamplingSettings
from app.core.thinking import (
    Continuation,
    ContinueMode,
    InsertedSpan,
    ReasonEnded,
    ThinkingControl,
)
from app.core.tool_calls import ToolSpec
from app.core.tool_rounds import ToolRound, ToolUse, round_history
from app.documents.collections import Collections
from app.engine.base import ChatEngine, Generation
from app.store.conversations import ConversationStore, StoredMessage
from app.store.database import StoreError
from app.tool_turn import DEFAULT_MAX_ROUNDS, Decision, ToolTurn
from app.tools.search_documents import search as search_passages
from app.tools.search_documents import search_documents_tool
from app.tools.tool import Tool, ToolError

SAVE_INTERVAL_S = 1.0
CUT_SHORT = ("cancelled", "length", "error")  # finish reasons of a reply that can go on
FORCED: tuple[ReasonEnded, ...] = ("budget", "time", "loop", "user")  # the app closed the trace


def history_of(branch: list[StoredMessage], system_prompt: str) -> list[ChatMessage]:
    """What the model is sent: the system prompt, then each turn's text (a question with
    its attached documents before it; answers only; a reply that used tools: each round's
    answer, calls and results, then its last round)."""
    history = [ChatMessage.system(system_prompt)] if system_prompt.strip() else []
    for m in branch:
        if m.role == "user":
            history.append(ChatMessage.user(with_attachments(m.content, m.attachments)))
        elif m.role == "assistant":
            for r in m.tool_rounds:
                history += round_history(r)
            if m.content or not m.tool_rounds:
                history.append(ChatMessage.assistant(m.content))  # the trace stays in the store
    return history


SEARCH_TOOLS = ("search_documents",)  # tools whose results are sources QwQ may cite
PASSAGES = "passages"  # an attachment kind: passages a search found for the question


def sources_in(attachments: Iterable[Attachment], found: Iterable[str]) -> list[Source]:
    """What QwQ was given to cite: files (with their pages) and passages found (the text of
    a search, each passage headed by its [source]), those of one document joined."""
    sources: list[Source] = []
    for a in attachments:
        if a.kind == PASSAGES:
            sources += _sources_in(a.text)
        else:
            sources.append(Source(a.name, pages_of(a.text)))
    for text in found:
        sources += _sources_in(text)
    return merge_sources(sources)


def sources_of(branch: Sequence[StoredMessage]) -> list[Source]:
    """What QwQ was given to cite in ``branch``: the files attached to its questions and
    the passages its document searches returned."""
    return sources_in(
        (a for m in branch for a in m.attachments),
        (
            call.result
            for m in branch
            for r in m.tool_rounds
            for call in r.calls
            if call.name.split("__")[-1] in SEARCH_TOOLS and call.ok and call.result
        ),
    )


def _sources_in(found_text: str) -> list[Source]:
    """The passages a search returned, by the [source] heading each."""
    sources = []
    for c in find_citations(found_text):
        lines = ((c.first_line, c.last_line or c.first_line),) if c.first_line else ()
        pages = frozenset({c.page}) if c.page is not None else None
        sources.append(Source(c.name, pages, lines))
    return sources


def _passage_in(found_text: str, name: str) -> str | None:
    """The passage headed by ``[name...]`` in a search's text."""
    for block in found_text.split("\n["):
        head = block if block.startswith("[") else "[" + block
        if head.lower().startswith("[" + name):
            return head
    return None


def passage_for(branch: Sequence[StoredMessage], c: Citation) -> str | None:
    """The text a citation points at: the cited page of an attached file (the whole file
    without pages), or the passage a document search returned; None if none is there."""
    name = c.name.lower()
    for m in reversed(branch):
        for r in m.tool_rounds:
            for call in r.calls:
                found = (
                    _passage_in(call.result, name)
                    if call.name.split("__")[-1] in SEARCH_TOOLS and call.result
                    else None
                )
                if found is not None:
                    return found
        for a in m.attachments:
            if a.kind == PASSAGES:
                if (found := _passage_in(a.text, name)) is not None:
                    return found
                continue
            if a.name.lower() != name and a.name.lower().rsplit("/", 1)[-1] != name:
                continue
            if c.page is None:
                return a.text
            mark = PAGE_MARK.format(page=c.page)
            at = a.text.find(mark + "\n")
            if at < 0:
                return None
            end = a.text.find("\n[p. ", at + len(mark))
            return a.text[at : end if end >= 0 else len(a.text)]
    return None


@dataclass(frozen=True, slots=True)
class Continued:
    """A stored reply being continued: as it was, and the part of it that is kept."""

    before: StoredMessage
    kept: Continuation
    inserted: tuple[InsertedSpan, ...]  # the spans within the kept trace


def _merged_stats(
    before: StoredMessage, new: dict[str, Any], finished: bool
) -> tuple[dict[str, Any], float]:
    """A continued reply's figures: the work of every part summed, the prompt the last's."""
    stats = dict(new)
    old = before.stats
    for key in ("generated_tokens", "reasoning_tokens", "inserted_tokens", "generation_seconds"):
        stats[key] = old.get(key, 0) + new.get(key, 0)
    stats["continuations"] = int(old.get("continuations", 0)) + 1
    thinking = before.thinking_seconds
    if not before.reasoning_finished or not finished or before.reasoning_ended_by in FORCED:
        thinking += float(new.get("thinking_seconds", 0.0))
    stats["thinking_seconds"] = thinking
    return stats, thinking


def continue_modes(message: StoredMessage) -> tuple[ContinueMode, ...]:
    """How a stored reply can go on: "thinking" (also Steer), "answer", or not at all.

    A reply can go on when it was cut short (Stop, out of tokens, an error, a crash) or
    when the app closed its trace (a budget, the time limit, the loop guard, "answer
    now"): then thinking can be reopened, replacing the answer built on the cut trace.
    """
    if message.role != "assistant" or message.status == "streaming":
        return ()
    if message.tool_rounds and not message.content and not message.reasoning:
        return ()  # it ended in calls (stopped, or the round limit): ask again instead
    cut = message.status == "interrupted" or message.finish_reason in CUT_SHORT
    modes: list[ContinueMode] = []
    if not message.reasoning_finished:
        if message.reasoning and cut:
            modes.append("thinking")
        elif cut and not message.reasoning and message.content:
            modes.append("answer")  # a model that does not think
        return tuple(modes)
    if message.reasoning_ended_by in FORCED:
        modes.append("thinking")
    if cut:
        modes.append("answer")
    return tuple(modes)


def _kept_trace(message: StoredMessage) -> tuple[str, tuple[InsertedSpan, ...]]:
    """The trace to reopen: without the app's wrap-up if the app closed it."""
    reasoning = message.reasoning
    spans = message.inserted
    if message.reasoning_finished and message.reasoning_ended_by in FORCED:
        wrap = [s for s in spans if s.by == "app"]
        if wrap:
            reasoning = reasoning[: wrap[-1].start].rstrip()
    return reasoning, tuple(s for s in spans if s.end <= len(reasoning))


class StoredGeneration:
    """A reply being generated into a stored conversation."""

    def __init__(
        self,
        store: ConversationStore,
        generation: Generation,
        message: StoredMessage,
        *,
        interval: float = SAVE_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
        continued: Continued | None = None,
    ) -> None:
        self._store = store
        self._generation = generation
        self.message = message  # the assistant message, as created (status "streaming")
        self._interval = interval
        self._clock = clock
        self.continued = continued  # set when an earlier reply is being continued
        kept = continued.kept if continued is not None else None
        self._reasoning: list[str] = [kept.reasoning] if kept and kept.reasoning else []
        self._answer: list[str] = [kept.answer] if kept and kept.answer else []
        self._reasoning_length = len(kept.reasoning) if kept else 0
        self.inserted: list[InsertedSpan] = list(continued.inserted) if continued else []
        self._new_text = False  # whether anything was streamed (a continuation may add nothing)
        # Tools: the rounds of calls before this one, and this round's calls so far.
        self.rounds: list[ToolRound] = list(continued.before.tool_rounds) if continued else []
        self._uses: list[ToolUse] = []
        self._after_results = False  # a result came: the next delta starts a new round
        self._round_tokens = 0  # this round's trace deltas, and when it began and ended
        self._round_thinking: tuple[float, float] | None = None
        self._ended_in_calls = False  # the last round ended in calls (none came after)
        self.done: GenerationDone | None = None
        self.save_error: StoreError | None = None  # why the last save failed

    @property
    def reasoning(self) -> str:
        """The trace so far (joined on demand: a join per token would be quadratic)."""
        return "".join(self._reasoning)

    @property
    def answer(self) -> str:
        return "".join(self._answer)

    @property
    def conversation_id(self) -> int:
        return self.message.conversation_id

    @property
    def prompt_size(self) -> int | None:
        """The generation's prompt in tokens, known before it streams (None: not yet)."""
        return self._generation.prompt_size

    def cancel(self) -> None:
        self._generation.cancel()

    def force_answer(self, by: ReasonEnded = "user") -> None:
        """Close the trace now and go on into the answer (see the engine's)."""
        self._generation.force_answer(by)

    def approve(self, call_id: str, decision: Decision) -> None:
        """The user's answer to a ``ToolApprovalNeeded`` (any thread)."""
        if isinstance(self._generation, ToolTurn):
            self._generation.approve(call_id, decision)

    def __iter__(self) -> Iterator[ChatEvent]:
        last_save = self._clock()
        try:
            for event in self._generation:
                match event:
                    case ReasoningDelta():
                        self._next_round()
                        self._take_reasoning(event)
                        self._round_tokens += 1
                        now = time.monotonic()
                        start = self._round_thinking[0] if self._round_thinking else now
                        self._round_thinking = (start, now)
                    case AnswerDelta():
                        self._next_round()
                        self._answer.append(event.text)
                        self._new_text = True
                    case ToolCallRequested():
                        self._next_round()
                        self._uses.append(ToolUse.of(event.call))
                        self._new_text = True
                    case ToolApprovalNeeded():
                        self._save_partial()  # the user may take a while: keep what streamed
                    case ToolCallResult():
                        self._take_result(event)
                    case GenerationDone():
                        if self._uses:  # it ended in calls: they are a round of their own
                            self._after_results = True
                            self._next_round()
                            self._ended_in_calls = True
                        self.done = event
                    case _:
                        assert_never(event)
                if self.done is not None:
                    self.save()
                elif self._clock() - last_save >= self._interval:
                    last_save = self._clock()
                    self._save_partial()
                yield event
        finally:
            self._generation.close()  # frees the engine if the consumer stops early

    def close(self) -> None:
        self._generation.close()

    def _take_reasoning(self, event: ReasoningDelta) -> None:
        self._reasoning.append(event.text)
        start = self._reasoning_length
        self._reasoning_length += len(event.text)
        self._new_text = True
        if event.inserted is None:
            return
        last = self.inserted[-1] if self.inserted else None
        if last is not None and last.by == event.inserted and last.end == start:
            self.inserted[-1] = InsertedSpan(last.start, self._reasoning_length, last.by)
        else:
            self.inserted.append(InsertedSpan(start, self._reasoning_length, event.inserted))

    def _next_round(self) -> None:
        """After a round's results, its trace, answer and calls become a ToolRound."""
        if not self._after_results:
            return
        thought = self._round_thinking
        seconds = thought[1] - thought[0] if thought else 0.0
        self.rounds.append(
            ToolRound(self.reasoning, self.answer, tuple(self._uses), self._round_tokens, seconds)
        )
        self._round_tokens, self._round_thinking = 0, None
        self._reasoning, self._answer, self._uses = [], [], []
        self._reasoning_length = 0
        self.inserted = []
        self._after_results = False

    def _take_result(self, event: ToolCallResult) -> None:
        self._after_results = True
        for i, use in enumerate(self._uses):
            if use.id == event.call_id:
                self._uses[i] = replace(
                    use,
                    result=event.text,
                    ok=event.ok,
                    seconds=event.seconds,
                    approval=event.approval,
                )
        if event.approval == "conversation":
            allowed = self._store.get(self.conversation_id).allowed_tools
            if event.name not in allowed:
                with suppress(StoreError):  # asked again next time: nothing is lost
                    self._store.update_settings(
                        self.conversation_id, allowed_tools=[*allowed, event.name]
                    )

    def _save_partial(self) -> None:
        try:
            self._store.update_streaming(
                self.message.id, self.answer, self.reasoning, self.inserted, self.rounds
            )
        except StoreError as e:
            self.save_error = e

    def save(self) -> bool:
        """Write the finished reply (again, after a full disk). True once it is saved."""
        if self.done is None:
            self._save_partial()
            return self.save_error is None
        d = self.done
        before = self.continued.before if self.continued is not None else None
        if before is not None and not self._new_text and d.finish_reason != "stop":
            # A continuation stopped or failed before it wrote anything: the reply stays
            # exactly as it was (a reopened trace keeps its old answer).
            content, reasoning, finished = (
                before.content,
                before.reasoning,
                before.reasoning_finished,
            )
            finish, error = before.finish_reason or d.finish_reason, before.error
            stats, thinking_seconds = before.stats, before.thinking_seconds
            ended_by, inserted = before.reasoning_ended_by, list(before.inserted)
        elif self._ended_in_calls:  # the last round is among the rounds: nothing after it
            content, reasoning, finished = "", "", d.reasoning_finished
            finish, error = d.finish_reason, d.error
            stats, thinking_seconds = d.stats.to_dict(), d.stats.thinking_seconds
            ended_by, inserted = d.reasoning_ended_by, []
        else:
            content, reasoning, finished = d.answer, d.reasoning, d.reasoning_finished
            finish, error = d.finish_reason, d.error
            stats, thinking_seconds = d.stats.to_dict(), d.stats.thinking_seconds
            ended_by, inserted = d.reasoning_ended_by, self.inserted
            if before is not None:
                stats, thinking_seconds = _merged_stats(before, stats, finished)
                if self.continued is not None and self.continued.kept.mode == "answer":
                    ended_by = before.reasoning_ended_by  # the trace closed back then
        try:
            self._store.finish_message(
                self.message.id,
                content=content,
                reasoning=reasoning,
                finish_reason=finish,
                reasoning_finished=finished,
                thinking_seconds=thinking_seconds,
                stats=stats,
                error=error,
                reasoning_ended_by=ended_by,
                inserted=inserted,
                tool_rounds=self.rounds,
            )
        except StoreError as e:
            self.save_error = e
            return False
        self.save_error = None
        return True


class ChatSession:
    """``tools``: what the model may call in the replies this session starts (the face
    sets them: the window from Settings, the CLI from ``--tool``); none: no tools are
    offered and a reply is one generation. ``auto_approve``: tools with side effects run
    without asking (the CLI's ``--yes``)."""

    def __init__(
        self,
        store: ConversationStore,
        engine: ChatEngine,
        *,
        tools: Sequence[Tool] = (),
        max_tool_rounds: int = DEFAULT_MAX_ROUNDS,
        auto_approve: bool = False,
    ) -> None:
        self.store = store
        self.engine = engine
        self.tools: Sequence[Tool] = tools
        # More tools, found when a reply starts (on its worker): MCP servers', started on
        # demand. Their calls go through the same approvals.
        self.more_tools: Callable[[], Sequence[Tool]] | None = None
        self.max_tool_rounds = max_tool_rounds
        self.auto_approve = auto_approve
        self.offered: tuple[ToolSpec, ...] = ()  # the tools the last reply offered
        # The document collections (a conversation names those it searches): with tools,
        # QwQ gets search_documents over them; without, the question's passages are found
        # and given with it.
        self.collections: Collections | None = None

    def _chat(
        self,
        conversation_id: int,
        history: list[ChatMessage],
        sampling: SamplingSettings,
        thinking: ThinkingControl | None,
        continuation: Continuation | None = None,
    ) -> Generation:
        """One reply: a generation, or a tool turn when tools are offered (a continued
        reply too: its prompt then holds the tools as before, and it may call them)."""
        tools = [*self.tools, *(self.more_tools() if self.more_tools is not None else ())]
        names = self._collections_of(conversation_id)
        if tools and names and self.collections is not None:
            tools.append(search_documents_tool(self.collections, names))
        self.offered = tuple(t.spec() for t in tools)
        if not tools:
            return self.engine.chat(history, sampling, thinking, continuation)
        allowed = set(self.store.get(conversation_id).allowed_tools)
        return ToolTurn(
            self.engine,
            history,
            sampling,
            thinking,
            tools,
            max_rounds=self.max_tool_rounds,
            allowed=allowed,
            auto_approve=self.auto_approve,
            continuation=continuation,
        )

    def _collections_of(self, conversation_id: int) -> list[str]:
        """The conversation's collections that exist (one removed since is left out)."""
        if self.collections is None:
            return []
        wanted = self.store.get(conversation_id).collections
        if not wanted:
            return []
        there = set(self.collections.names())
        return [n for n in wanted if n in there]

    def _passages_for(self, conversation_id: int, question: str) -> list[Attachment]:
        """Without tools: the passages of the conversation's collections for the question,
        given with it (and kept, so the citations can be checked against them)."""
        names = self._collections_of(conversation_id)
        if not names or self.tools or self.more_tools is not None or self.collections is None:
            return []
        try:
            found = search_passages(self.collections, names, question, limit=6)
        except ToolError:
            return []
        label = translate("ChatSession", "Found in {names}").format(names=", ".join(names))
        return [counted(Attachment(label, PASSAGES, 0, 0, found), self.engine.count_tokens)]

    def _sampling(
        self, conversation_id: int, sampling: SamplingSettings | None
    ) -> SamplingSettings:
        if sampling is not None:
            self.store.update_settings(conversation_id, sampling=sampling.to_dict())
            return sampling
        return SamplingSettings.from_dict(self.store.get(conversation_id).sampling)

    def _generate(
        self,
        conversation_id: int,
        parent: StoredMessage,
        sampling: SamplingSettings | None,
        thinking: ThinkingControl | None = None,
    ) -> StoredGeneration:
        conversation = self.store.get(conversation_id)
        settings = self._sampling(conversation_id, sampling)
        history = history_of(
            self.store.branch(conversation_id, parent.id), conversation.system_prompt
        )
        model = self.engine.info.name
        message = self.store.add_message(
            conversation_id, "assistant", "", parent_id=parent.id, status="streaming", model=model
        )
        try:
            # checks the request first
            generation = self._chat(conversation_id, history, settings, thinking)
        except BaseException:
            self.store.delete_message(message.id)  # the user's message stays
            raise
        self.store.update_settings(conversation_id, model=model)
        return StoredGeneration(self.store, generation, message)

    def reply(
        self,
        conversation_id: int,
        text: str,
        sampling: SamplingSettings | None = None,
        thinking: ThinkingControl | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> StoredGeneration:
        """Send ``text`` (with ``attachments``: their text is stored with it) after the
        branch on screen and generate the reply."""
        if not text.strip():
            raise InvalidRequestError(translate("ChatSession", "The prompt is empty."))
        leaf = self.store.get(conversation_id).current_leaf
        found = self._passages_for(conversation_id, text)
        user = self.store.add_message(
            conversation_id, "user", text, parent_id=leaf, attachments=[*attachments, *found]
        )
        return self._generate(conversation_id, user, sampling, thinking)

    def regenerate(
        self,
        assistant_id: int,
        sampling: SamplingSettings | None = None,
        thinking: ThinkingControl | None = None,
    ) -> StoredGeneration:
        """A new answer beside ``assistant_id``; the old one stays, as a sibling."""
        old = self.store.message(assistant_id)
        if old.role != "assistant" or old.parent_id is None:
            raise InvalidRequestError(
                translate("ChatSession", "Only an answer can be regenerated.")
            )
        parent = self.store.message(old.parent_id)
        return self._generate(old.conversation_id, parent, sampling, thinking)

    def edit(
        self,
        user_id: int,
        text: str,
        sampling: SamplingSettings | None = None,
        thinking: ThinkingControl | None = None,
    ) -> StoredGeneration:
        """Resend an edited user message: a new branch beside the old one (its attached
        files go with it)."""
        old = self.store.message(user_id)
        if old.role != "user":
            raise InvalidRequestError(
                translate("ChatSession", "Only your own messages can be edited.")
            )
        if not text.strip():
            raise InvalidRequestError(translate("ChatSession", "The prompt is empty."))
        user = self.store.add_message(
            old.conversation_id, "user", text, parent_id=old.parent_id, attachments=old.attachments
        )
        return self._generate(old.conversation_id, user, sampling, thinking)

    def continue_reply(
        self,
        assistant_id: int,
        mode: ContinueMode,
        *,
        hint: str = "",
        sampling: SamplingSettings | None = None,
        thinking: ThinkingControl | None = None,
    ) -> StoredGeneration:
        """Go on from a reply that stopped, in place (see :func:`continue_modes`).

        ``mode`` "thinking" goes on inside the trace (reopening it if the app closed it;
        the answer built on it is replaced), with ``hint`` (Steer) inserted first as the
        user's; "answer" goes on after the answer. The engine reuses its KV cache when
        this reply is the last thing it evaluated.
        """
        old = self.store.message(assistant_id)
        if mode not in continue_modes(old):
            raise InvalidRequestError(
                translate("ChatSession", "This reply cannot be continued that way.")
            )
        if hint and mode != "thinking":
            raise InvalidRequestError(
                translate("ChatSession", "A hint goes into the trace: continue thinking to steer.")
            )
        if old.parent_id is None:
            raise InvalidRequestError(translate("ChatSession", "Only an answer can be continued."))
        conversation = self.store.get(old.conversation_id)
        settings = self._sampling(old.conversation_id, sampling)
        history = history_of(
            self.store.branch(old.conversation_id, old.parent_id), conversation.system_prompt
        )
        for r in old.tool_rounds:  # its rounds of calls: the last round goes on after them
            history += round_history(r)
        if mode == "thinking":
            reasoning, spans = _kept_trace(old)
            kept = Continuation(reasoning, "", "thinking", hint.strip())
        else:
            reasoning, spans = old.reasoning, old.inserted
            kept = Continuation(reasoning, old.content, "answer")
        generation = self._chat(old.conversation_id, history, settings, thinking, kept)
        self.store.reopen(old.id)
        continued = Continued(old, Continuation(reasoning, kept.answer, mode), spans)
        return StoredGeneration(self.store, generation, old, continued=continued)

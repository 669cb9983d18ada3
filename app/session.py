"""A chat session: a stored conversation, an engine, and a reply saved as it streams.

``reply``, ``regenerate`` and ``edit`` add the user's message to the store, build
the history from the branch on screen (answers only: the engine never sees a stored
trace), and return a :class:`StoredGeneration`. Iterating it yields the engine's
ChatEvents unchanged while the reply is written to the database at least once a
second, so a killed process loses at most the last second. If the disk fills up,
the stream goes on, ``save_error`` says why, and ``save()`` retries later.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from app.core.errors import InvalidRequestError
from app.core.events import AnswerDelta, ChatEvent, GenerationDone, ReasoningDelta
from app.core.messages import ChatMessage
from app.core.sampling import SamplingSettings
from app.core.thinking import ReasonEnded, ThinkingControl
from app.engine.base import ChatEngine, Generation
from app.store.conversations import ConversationStore, StoredMessage
from app.store.database import StoreError

SAVE_INTERVAL_S = 1.0


def history_of(branch: list[StoredMessage], system_prompt: str) -> list[ChatMessage]:
    """What the model is sent: the system prompt, then each turn's text (answers only)."""
    history = [ChatMessage.system(system_prompt)] if system_prompt.strip() else []
    for m in branch:
        if m.role == "user":
            history.append(ChatMessage.user(m.content))
        elif m.role == "assistant":
            history.append(ChatMessage.assistant(m.content))  # the trace stays in the store
    return history


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
    ) -> None:
        self._store = store
        self._generation = generation
        self.message = message  # the assistant message, as created (status "streaming")
        self._interval = interval
        self._clock = clock
        self._reasoning: list[str] = []
        self._answer: list[str] = []
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

    def cancel(self) -> None:
        self._generation.cancel()

    def force_answer(self, by: ReasonEnded = "user") -> None:
        """Close the trace now and go on into the answer (see the engine's)."""
        self._generation.force_answer(by)

    def __iter__(self) -> Iterator[ChatEvent]:
        last_save = self._clock()
        try:
            for event in self._generation:
                if isinstance(event, ReasoningDelta):
                    self._reasoning.append(event.text)
                elif isinstance(event, AnswerDelta):
                    self._answer.append(event.text)
                elif isinstance(event, GenerationDone):
                    self.done = event
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

    def _save_partial(self) -> None:
        try:
            self._store.update_streaming(self.message.id, self.answer, self.reasoning)
        except StoreError as e:
            self.save_error = e

    def save(self) -> bool:
        """Write the finished reply (again, after a full disk). True once it is saved."""
        if self.done is None:
            self._save_partial()
            return self.save_error is None
        d = self.done
        try:
            self._store.finish_message(
                self.message.id,
                content=d.answer,
                reasoning=d.reasoning,
                finish_reason=d.finish_reason,
                reasoning_finished=d.reasoning_finished,
                thinking_seconds=d.stats.thinking_seconds,
                stats=d.stats.to_dict(),
                error=d.error,
            )
        except StoreError as e:
            self.save_error = e
            return False
        self.save_error = None
        return True


class ChatSession:
    def __init__(self, store: ConversationStore, engine: ChatEngine) -> None:
        self.store = store
        self.engine = engine

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
            generation = self.engine.chat(history, settings, thinking)
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
    ) -> StoredGeneration:
        """Send ``text`` after the branch on screen and generate the reply."""
        if not text.strip():
            raise InvalidRequestError("The prompt is empty.")
        leaf = self.store.get(conversation_id).current_leaf
        user = self.store.add_message(conversation_id, "user", text, parent_id=leaf)
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
            raise InvalidRequestError("Only an answer can be regenerated.")
        parent = self.store.message(old.parent_id)
        return self._generate(old.conversation_id, parent, sampling, thinking)

    def edit(
        self,
        user_id: int,
        text: str,
        sampling: SamplingSettings | None = None,
        thinking: ThinkingControl | None = None,
    ) -> StoredGeneration:
        """Resend an edited user message: a new branch beside the old one."""
        old = self.store.message(user_id)
        if old.role != "user":
            raise InvalidRequestError("Only your own messages can be edited.")
        if not text.strip():
            raise InvalidRequestError("The prompt is empty.")
        user = self.store.add_message(old.conversation_id, "user", text, parent_id=old.parent_id)
        return self._generate(old.conversation_id, user, sampling, thinking)

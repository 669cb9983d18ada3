"""Errors a user can meet, each with a message fit to show as it is."""

from __future__ import annotations


class QwQError(Exception):
    """Base of the errors the faces show to the user as one clear line."""


class ModelFileError(QwQError):
    """The model file is missing, unreadable, not GGUF, truncated or unsupported."""


class ContextOverflowError(QwQError):
    """The prompt does not fit in the context window."""


class EngineBusyError(QwQError):
    """A generation is already running on this engine."""


class InvalidRequestError(QwQError):
    """The request itself is unusable (for example an empty prompt)."""

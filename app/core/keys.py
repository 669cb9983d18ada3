"""API keys for remote endpoints, in the system keyring (macOS Keychain, Windows
Credential Locker, the Secret Service on Linux desktops) and nowhere else: never in the
settings file, the conversation database or an export.

Where no keyring exists (a headless Linux box), a key lives in memory for the session
and the user is told so; an environment variable (``DASHSCOPE_API_KEY``...) also works.
"""

from __future__ import annotations

import logging
import os

from app.core.errors import QwQError
from app.core.i18n import translate
from app.core.redact import redact

log = logging.getLogger(__name__)
SERVICE = "qwq-desktop"
_session: dict[str, str] = {}  # keys kept only for this run, when no keyring exists
REMOTE_KEY_ENV = "QWQ_REMOTE_API_KEY"  # a key for any remote endpoint
LOCAL_KEY_ENV = "QWQ_DESKTOP_API_KEY"  # the key of our own API server (window and serve)
LOCAL_API_KEY = "qwq-desktop local API"  # its keyring entry (set in the window's Settings)


class NoKeyringError(QwQError):
    """No system keyring here: a key can be used, not saved."""


def save_key(endpoint: str, key: str) -> None:
    """Keep ``key`` for ``endpoint`` (a base URL); NoKeyringError when it can only be
    kept for this session."""
    _session[endpoint] = key
    try:
        import keyring
        import keyring.errors

        keyring.set_password(SERVICE, endpoint, key)
    except Exception as e:  # keyring.errors.NoKeyringError, a locked or absent backend
        log.info("no keyring for the API key of %s: %s", redact(endpoint), e)
        raise NoKeyringError(
            translate(
                "Keys",
                "No system keyring is available, so the key is kept for this session only. Set "
                "it in an environment variable (for DashScope: DASHSCOPE_API_KEY) to avoid "
                "typing it again.",
            )
        ) from None


def load_key(endpoint: str) -> str | None:
    if endpoint in _session:
        return _session[endpoint]
    try:
        import keyring

        return keyring.get_password(SERVICE, endpoint)
    except Exception as e:
        log.info("no keyring to read the API key of %s: %s", redact(endpoint), e)
        return None


def remote_key(endpoint: str, preset_env: str | None) -> str | None:
    """The key for a remote endpoint, the same for the window and the CLI: the preset's own
    variable (``DASHSCOPE_API_KEY``...), then ``QWQ_REMOTE_API_KEY``, then the key kept for
    this base URL. A variable someone set for this run wins over a key kept from before."""
    return (
        (os.environ.get(preset_env) if preset_env else None)
        or os.environ.get(REMOTE_KEY_ENV)
        or (load_key(endpoint) if endpoint else None)
        or None
    )


def local_api_key(given: str | None = None) -> str | None:
    """The key our own API server requires, the same for the window and ``serve``: the one
    given (``--api-key``), then ``QWQ_DESKTOP_API_KEY``, then the one kept in the keyring
    from the window's Settings; None: no key. Checked: a key a client can send."""
    return check_api_key(given or os.environ.get(LOCAL_KEY_ENV) or load_key(LOCAL_API_KEY) or None)


def check_api_key(key: str | None) -> str | None:
    """A key a client can send: printable text with no spaces (UTF-8 allowed); blank is
    no key. QwQError says what is wrong."""
    if key is None or not key.strip():
        return None
    if key != key.strip() or any(not c.isprintable() or c.isspace() for c in key):
        raise QwQError("The API key must be printable text without spaces.")
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        raise QwQError("The API key is not valid text.") from None
    return key


def forget_key(endpoint: str) -> None:
    _session.pop(endpoint, None)
    try:
        import keyring

        keyring.delete_password(SERVICE, endpoint)
    except Exception as e:
        log.info("could not delete the API key of %s: %s", redact(endpoint), e)


def forget_session_keys() -> None:
    """Drop the keys kept in memory for this run (the keyring's are untouched)."""
    _session.clear()

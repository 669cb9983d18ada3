"""Where model files come from: the Hugging Face Hub (or a mirror of it) and ModelScope.

A :class:`Source` turns "this repo, these files" into :class:`RemoteFile` records:
the size, the SHA-256 the file must have, and a URL that serves its bytes with
HTTP Range requests. Nothing here downloads the files themselves (see ``download``).

- The Hub is asked through huggingface-hub: a HEAD on the file's ``resolve`` URL
  answers the commit, the size (``X-Linked-Size``) and, for LFS files, the SHA-256
  (``X-Linked-Etag``). ``HF_ENDPOINT`` and ``HF_TOKEN`` are honoured; a mirror is
  the same protocol at another endpoint.
- ModelScope (modelscope.cn, where Qwen publishes too) lists a repo's files with
  their size and SHA-256 in one JSON call, and serves each file from its ``repo``
  endpoint.

huggingface-hub is imported only here, only when a download is asked for: the app
opens no connection otherwise. Its telemetry (and the agent-registry request that
comes with it) is switched off before the import.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, Literal, TypeVar
from urllib.parse import quote

from app.core.errors import QwQError
from app.core.i18n import translate
from app.core.redact import redact

if TYPE_CHECKING:
    import httpx2

HF_DEFAULT = "https://huggingface.co"
MODELSCOPE_DEFAULT = "https://modelscope.cn"
SourceKind = Literal["hf", "modelscope"]
T = TypeVar("T")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_SPLIT = re.compile(r"^(?P<prefix>.*)-(?P<no>\d{5})-of-(?P<count>\d{5})\.gguf$")
# A repo id as the Hub allows one (huggingface_hub's validate_repo_id), ASCII only: each part
# starts and ends with a letter, digit or "_"; no "..", no "--"; at most 96 characters.
_REPO_PART = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?")
MAX_REPO_ID = 96
MAX_FILE_PATH = 1000
_BAD_NAME_CHARS = set('\\<>:"|?*') | {chr(c) for c in range(32)} | {"\x7f"}
# Names Windows keeps for devices, with or without an extension.
_WINDOWS_DEVICES = {"CON", "PRN", "AUX", "NUL"} | {
    f"{kind}{n}" for kind in ("COM", "LPT") for n in range(1, 10)
}
CONNECT_TIMEOUT = 15.0
READ_TIMEOUT = 30.0


class DownloadError(QwQError):
    """A download could not go on; the message says why and what to do."""


def check_repo_id(repo: str) -> str:
    """``repo`` if it is a valid ``owner/name`` (or ``name``) repo id, else DownloadError.

    A repo id becomes folders under the models folder, so nothing that could leave it
    (``..``, an absolute path, a backslash, a drive) gets through.
    """
    parts = repo.split("/")
    if (
        not repo
        or len(repo) > MAX_REPO_ID
        or len(parts) > 2
        or ".." in repo
        or "--" in repo
        or not all(_REPO_PART.fullmatch(part) and _device_free(part) for part in parts)
    ):
        shown = repo if len(repo) <= 100 else repo[:99] + "…"
        raise DownloadError(
            translate(
                "Sources",
                "{name} is not a valid repository name: use OWNER/NAME, with letters, digits, "
                "'-', '_' and '.' only (for example Qwen/QwQ-32B-GGUF).",
            ).format(name=repr(shown))
        )
    return repo


def check_file_path(path: str) -> str:
    """``path`` if it is a safe relative file path inside a repo, else DownloadError.

    Its last part becomes a file name in the models folder: no ``..``, no absolute path, no
    backslash or drive letter, no control characters, no name Windows reserves.
    """
    parts = path.split("/")
    if not path or len(path) > MAX_FILE_PATH or not all(_safe_name(part) for part in parts):
        shown = path if len(path) <= 100 else path[:99] + "…"
        raise DownloadError(
            translate(
                "Sources",
                "{name} is not a valid file name in a repository: use a relative path such as "
                "fp16/model-00001-of-00002.gguf, without '..', '\\' or ':'.",
            ).format(name=repr(shown))
        )
    return path


def _device_free(part: str) -> bool:
    return part.split(".")[0].upper() not in _WINDOWS_DEVICES


def _safe_name(part: str) -> bool:
    """One file or folder name that is the same, and harmless, on every system."""
    try:
        encoded = part.encode("utf-8")  # a lone surrogate cannot name a file
    except UnicodeEncodeError:
        return False
    return (
        bool(part)
        and part not in (".", "..")
        and part == part.strip()
        and not part.endswith(".")
        and not any(c in _BAD_NAME_CHARS for c in part)
        and len(encoded) <= 255
        and _device_free(part)
    )


@dataclass(frozen=True, slots=True)
class RemoteFile:
    repo: str
    path: str  # inside the repo, e.g. "fp16/qwq-32b-fp16-00001-of-00017.gguf"
    size: int
    sha256: str | None  # None: the source publishes none (only the size can be checked)
    url: str  # GET (with Range) serves the bytes
    revision: str  # the commit the bytes belong to: a resumed part must match it

    @property
    def name(self) -> str:
        return PurePosixPath(self.path).name


def split_parts(path: str) -> list[str]:
    """All parts of a split GGUF set, given any one of them (llama.cpp's gguf-split names)."""
    m = _SPLIT.match(path)
    if not m:
        return [path]
    count = int(m["count"])
    return [f"{m['prefix']}-{i:05d}-of-{count:05d}.gguf" for i in range(1, count + 1)]


def hf_token() -> str | None:
    """``HF_TOKEN`` or the token saved by ``hf auth login``; None without one."""
    token = os.environ.get("HF_TOKEN")
    if token:
        return token
    _prepare_hf()
    from huggingface_hub import get_token

    return get_token()


def _prepare_hf() -> None:
    # Read by huggingface-hub at import: no telemetry, and so no agent-registry fetch.
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def http_client() -> httpx2.Client:
    """huggingface-hub's shared HTTP client (honours its proxy and offline settings)."""
    _prepare_hf()
    from huggingface_hub import get_session

    return get_session()


@dataclass(frozen=True, slots=True)
class Source:
    kind: SourceKind
    endpoint: str  # no trailing slash

    @staticmethod
    def parse(text: str | None = None) -> Source:
        """``hf`` (default; ``HF_ENDPOINT`` if set), ``modelscope``, or a Hub mirror's URL."""
        choice = (text or "hf").strip()
        if choice == "hf":
            return Source("hf", (os.environ.get("HF_ENDPOINT") or HF_DEFAULT).rstrip("/"))
        if choice == "modelscope":
            base = os.environ.get("MODELSCOPE_DOMAIN") or MODELSCOPE_DEFAULT
            if "://" not in base:
                base = f"https://{base}"
            return Source("modelscope", base.rstrip("/"))
        if choice.startswith(("http://", "https://")):
            return Source("hf", choice.rstrip("/"))
        raise DownloadError(
            translate(
                "Sources",
                "Unknown source {choice}: use 'hf', 'modelscope' or a Hub mirror's URL (for "
                "example https://hf-mirror.com).",
            ).format(choice=repr(choice))
        )

    @property
    def label(self) -> str:
        if self.kind == "modelscope":
            return "ModelScope"
        return "Hugging Face" if self.endpoint == HF_DEFAULT else f"Hub mirror {self.endpoint}"

    def resolve(
        self, repo: str, paths: Sequence[str], token: str | None = None
    ) -> list[RemoteFile]:
        """Size, SHA-256 and URL of each file (split sets expanded to all their parts)."""
        check_repo_id(repo)
        wanted = [check_file_path(part) for path in paths for part in split_parts(path)]
        if self.kind == "modelscope":
            return self._resolve_modelscope(repo, wanted)
        return [self._resolve_hf(repo, path, token) for path in wanted]

    def _resolve_hf(self, repo: str, path: str, token: str | None) -> RemoteFile:
        _prepare_hf()
        from huggingface_hub import get_hf_file_metadata, hf_hub_url
        from huggingface_hub.errors import (
            EntryNotFoundError,
            GatedRepoError,
            HfHubHTTPError,
            OfflineModeIsEnabled,
            RepositoryNotFoundError,
        )

        url = hf_hub_url(repo, path, endpoint=self.endpoint)
        try:
            meta = _with_retries(
                lambda: get_hf_file_metadata(url, token=token or False, endpoint=self.endpoint)
            )
        except OfflineModeIsEnabled:
            raise DownloadError(
                translate(
                    "Sources",
                    "HF_HUB_OFFLINE is set, so huggingface-hub refuses to download: unset it.",
                )
            ) from None
        except GatedRepoError:
            raise DownloadError(
                translate(
                    "Sources", "{repo} is gated: accept its terms on the Hub and set HF_TOKEN."
                ).format(repo=repo)
            ) from None
        except RepositoryNotFoundError:
            hint = "" if token else translate("Sources", " (if it is private, set HF_TOKEN)")
            raise DownloadError(
                translate("Sources", "No repo {repo} on {source}{hint}.").format(
                    repo=repo, source=self.label, hint=hint
                )
            ) from None
        except EntryNotFoundError:
            raise DownloadError(
                translate("Sources", "No file {path} in {repo} on {source}.").format(
                    path=path, repo=repo, source=self.label
                )
            ) from None
        except HfHubHTTPError as e:
            status = e.response.status_code if e.response is not None else "?"
            raise DownloadError(
                translate("Sources", "{source} answered HTTP {status} for {repo}/{path}.").format(
                    source=self.label, status=status, repo=repo, path=path
                )
            ) from None
        except Exception as e:  # httpx2's network errors, after its own retries
            raise DownloadError(
                translate(
                    "Sources",
                    "Cannot reach {source} ({url}): {why}. Check the connection, or choose "
                    "another source (a Hub mirror or ModelScope).",
                ).format(source=self.label, url=self.endpoint, why=_reason(e))
            ) from None
        if meta.size is None or meta.commit_hash is None:
            raise DownloadError(
                translate("Sources", "{source} gave no size for {repo}/{path}.").format(
                    source=self.label, repo=repo, path=path
                )
            )
        etag = (meta.etag or "").strip('"').lower()
        sha256 = etag if _SHA256.match(etag) else None
        # Pinned to the commit, so every retry (and its fresh signed redirect) is the same file.
        pinned = hf_hub_url(repo, path, revision=meta.commit_hash, endpoint=self.endpoint)
        return RemoteFile(repo, path, meta.size, sha256, pinned, meta.commit_hash)

    def _resolve_modelscope(self, repo: str, paths: Sequence[str]) -> list[RemoteFile]:
        listing = f"{self.endpoint}/api/v1/models/{repo}/repo/files"
        try:
            response = http_client().get(
                listing,
                params={"Revision": "master", "Recursive": "True"},
                timeout=CONNECT_TIMEOUT,
            )
        except Exception as e:
            raise DownloadError(
                translate("Sources", "Cannot reach ModelScope ({url}): {why}.").format(
                    url=self.endpoint, why=_reason(e)
                )
            ) from None
        if response.status_code == 404:
            raise DownloadError(
                translate("Sources", "No repo {repo} on ModelScope.").format(repo=repo)
            )
        if response.status_code != 200:
            raise DownloadError(
                translate("Sources", "ModelScope answered HTTP {status} for {repo}.").format(
                    status=response.status_code, repo=repo
                )
            )
        unreadable = DownloadError(
            translate("Sources", "ModelScope sent an unreadable file list for {repo}.").format(
                repo=repo
            )
        )
        try:
            body: Any = response.json()
            files = {
                f["Path"]: f
                for f in body["Data"]["Files"]
                if isinstance(f, dict)
                and isinstance(f.get("Path"), str)
                and f.get("Type") != "tree"
            }
            revision = str(body["Data"].get("Revision") or "master")
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
            raise unreadable from None
        found = []
        for path in paths:
            # ModelScope keeps some sets at the root that the Hub keeps in a folder (fp16/).
            entry = files.get(path) or files.get(PurePosixPath(path).name)
            if entry is None:
                raise DownloadError(
                    translate("Sources", "No file {path} in {repo} on ModelScope.").format(
                        path=path, repo=repo
                    )
                )
            size = entry.get("Size")
            if isinstance(size, str) and size.isascii() and size.isdigit() and len(size) < 20:
                size = int(size)
            if not isinstance(size, int) or isinstance(size, bool) or size < 0:
                raise unreadable
            sha = str(entry.get("Sha256") or "").lower()
            url = (
                f"{self.endpoint}/api/v1/models/{repo}/repo?Revision=master"
                f"&FilePath={quote(entry['Path'], safe='')}"
            )
            found.append(
                RemoteFile(repo, path, size, sha if _SHA256.match(sha) else None, url, revision)
            )
        return found


def _with_retries(ask: Callable[[], T], attempts: int = 3, wait: float = 0.5) -> T:
    """A metadata request, tried again after a network error or a 5xx: quickly, because a
    user is waiting (huggingface-hub's own backoff takes about 25 s to give up)."""
    from huggingface_hub.errors import HfHubHTTPError

    for attempt in range(1, attempts + 1):
        try:
            return ask()
        except HfHubHTTPError as e:
            status = e.response.status_code if e.response is not None else 0
            if status < 500 or attempt == attempts:
                raise
        except OSError:
            if attempt == attempts:
                raise
        except Exception as e:  # httpx2's transport errors are not OSErrors
            if attempt == attempts or "httpx" not in type(e).__module__:
                raise
        time.sleep(wait * attempt)
    raise AssertionError("unreachable")


def _reason(e: BaseException) -> str:
    """The first line of ``e``, for a message; a token in it (a server or proxy may repeat
    the request's ``Authorization``) is hidden."""
    text = redact(str(e).strip()) or type(e).__name__
    return text.splitlines()[0][:200]

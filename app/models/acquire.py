"""From "I want this file" to a ready :class:`Download`: a catalog quant (``q4_k_m``)
or any repo and file, from the Hub, a Hub mirror or ModelScope.

Asking the source is the only network use before the download itself; its answer
(exact sizes, SHA-256) refreshes the cached catalog. Where a source publishes no
SHA-256, the catalog's is used, so a file is still verified.

A repo and file named by the user are checked before anything else: a repo id or a file
path that could lead outside the models folder is refused with one clear line.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from app.core.i18n import translate
from app.models.catalog import Catalog, CatalogEntry
from app.models.download import Download, ProgressCallback, check_no_links, target_folder
from app.models.sources import (
    DownloadError,
    RemoteFile,
    Source,
    check_file_path,
    check_repo_id,
    hf_token,
)


@dataclass(frozen=True)
class Request:
    repo: str
    paths: tuple[str, ...]
    entry: CatalogEntry | None  # when it is a catalog file


def request_for(catalog: Catalog, quant: str | None, repo: str | None, file: str | None) -> Request:
    if quant:
        entry = catalog.find(quant)
        if entry is None:
            known = ", ".join(e.key for e in catalog.entries)
            raise DownloadError(
                translate("Acquire", "No {quant} in the catalog. Known: {known}.").format(
                    quant=repr(quant), known=known
                )
            )
        return Request(entry.repo, tuple(f.path for f in entry.files), entry)
    if not repo or not file:
        raise DownloadError(
            translate("Acquire", "Name a quant (e.g. q4_k_m), or both --repo and --file.")
        )
    check_repo_id(repo)
    check_file_path(file)
    if not file.lower().endswith(".gguf"):
        raise DownloadError(
            translate(
                "Acquire", "{file} is not a GGUF file: QwQ Desktop runs .gguf models."
            ).format(file=file)
        )
    entry = next((e for e in catalog.entries if e.repo == repo and e.files[0].path == file), None)
    return Request(repo, (file,), entry)


def prepare(
    catalog: Catalog,
    request: Request,
    source: Source,
    models: Path,
    cache: Path | None = None,
    on_progress: ProgressCallback | None = None,
) -> Download:
    """Ask ``source`` about the files and return the download, ready to ``run``."""
    repo = request.repo
    if source.kind == "modelscope":
        mapped = catalog.modelscope.get(repo)
        if mapped is None and request.entry is not None:
            raise DownloadError(
                translate(
                    "Acquire",
                    "{repo} is not mirrored on ModelScope; choose Hugging Face or a Hub mirror.",
                ).format(repo=repo)
            )
        repo = mapped or repo
    token = hf_token() if source.kind == "hf" else None
    files = source.resolve(repo, request.paths, token)
    if request.entry is not None:
        known = {f.path: f.sha256 for f in request.entry.files}
        # Where the source publishes no SHA-256, the catalog's still verifies the bytes.
        files = [f if f.sha256 else replace(f, sha256=known.get(f.path)) for f in files]
        if cache is not None and source.kind == "hf":
            catalog.with_remote(request.entry, files).save(cache)
    folder = target_folder(models, request.repo)
    check_no_links(models, folder)
    return Download(
        files,
        folder,
        token=token,
        on_progress=on_progress,
    )


__all__ = ["Download", "RemoteFile", "Request", "prepare", "request_for"]

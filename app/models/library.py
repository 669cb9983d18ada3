"""The models on this machine: downloaded ones in the models folder, and GGUF files
the user opened from elsewhere (remembered in the settings).

Every file is checked before it is offered for loading (:func:`validate`): the GGUF
header and version, that it is whole, that every part of a split set is there, and
that the bundled llama.cpp knows its architecture (it reads the file's vocabulary
only, which takes well under a second even for a 20 GB file).
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path

from app.core.errors import ModelFileError
from app.core.i18n import translate
from app.engine.chat_template import check_templates
from app.engine.gguf_file import GGUFInfo, read_gguf
from app.models.download import META, PART
from app.models.sources import split_parts

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LocalModel:
    path: Path  # the file to load (the first part of a split set)
    parts: tuple[Path, ...]  # every file of it
    size: int
    quant: str
    name: str
    architecture: str
    downloaded: bool  # in our models folder (else opened from elsewhere)
    problem: str = ""  # why it can't be loaded, or ""

    @property
    def usable(self) -> bool:
        return not self.problem

    @property
    def reason(self) -> str:
        """The problem, without the path it ends with (shown next to the path anyway)."""
        return self.problem.removesuffix(f": {self.path}").removesuffix(f"：{self.path}")


def split_set(path: Path) -> tuple[Path, ...]:
    """The files of ``path``'s split set (just ``path`` when it isn't split)."""
    return tuple(path.with_name(name) for name in split_parts(path.name))


def validate(path: str | Path, check_architecture: bool = True) -> GGUFInfo:
    """The file's GGUF info, or :class:`ModelFileError` saying what is wrong with it."""
    path = Path(path)
    parts = split_set(path)
    missing = [p.name for p in parts if not p.exists()]
    if missing:
        shown = ", ".join(missing[:3]) + (
            translate("Library", " and {count} more").format(count=len(missing) - 3)
            if len(missing) > 3
            else ""
        )
        raise ModelFileError(
            translate(
                "Library",
                "{name} is part {index} of a {count}-part model and {missing} part(s) are "
                "missing: {shown}. Keep all parts in one folder.",
            ).format(
                name=path.name,
                index=parts.index(path) + 1 if path in parts else 1,
                count=len(parts),
                missing=len(missing),
                shown=shown,
            )
        )
    info = read_gguf(parts[0])  # raises for a bad magic or version
    for part in parts:
        if (info if part == parts[0] else read_gguf(part)).truncated:
            raise ModelFileError(
                translate(
                    "Library",
                    "{name} is incomplete (truncated): download it again, or copy it whole.",
                ).format(name=part.name)
            )
    check_templates(info.metadata)
    if check_architecture:
        check_supported(parts[0], info)
    return info


def check_supported(path: Path, info: GGUFInfo) -> None:
    """Ask the bundled llama.cpp to read the file's vocabulary only: it refuses an
    architecture it does not know, as a full load would, but in a fraction of a second."""
    import llama_cpp

    from app.engine import llama_log

    llama_log.install()
    mark = llama_log.mark()
    params = llama_cpp.llama_model_default_params()
    params.vocab_only = True
    model = llama_cpp.llama_model_load_from_file(str(path).encode(), params)
    if model:
        llama_cpp.llama_model_free(model)
        return
    log = "\n".join(llama_log.since(mark)).lower()
    if "unknown model architecture" in log:
        raise ModelFileError(
            translate(
                "LocalEngine",
                "This model's architecture ('{architecture}') is not supported by the bundled "
                "llama.cpp: {path}",
            ).format(architecture=info.architecture, path=path.name)
        )
    raise ModelFileError(
        translate("Library", "llama.cpp cannot read {name} (see the log for details).").format(
            name=path.name
        )
    )


def describe(path: Path, downloaded: bool, check_architecture: bool = False) -> LocalModel:
    """The model at ``path``; a file that cannot be used is described with its problem
    (one line), never raised: one bad file must not hide the others."""
    parts = split_set(path)
    size = 0
    try:
        size = sum(p.stat().st_size for p in parts if p.exists())
        info = validate(path, check_architecture)
    except (ModelFileError, OSError) as e:
        return LocalModel(path, parts, size, "?", path.stem, "?", downloaded, _one_line(e))
    except Exception as e:  # a bug of ours on a strange file: still list the rest
        log.exception("could not inspect %s", path)
        problem = translate(
            "Library", "Cannot inspect this file ({kind}; see the log): {path}"
        ).format(kind=type(e).__name__, path=path)
        return LocalModel(path, parts, size, "?", path.stem, "?", downloaded, problem)
    name = info.name if info.name != path.stem else path.stem
    return LocalModel(path, parts, size, info.quantization, name, info.architecture, downloaded)


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split()) or type(e).__name__


def scan(models: Path, remembered: list[str] | None = None) -> list[LocalModel]:
    """Downloaded models (whole files only; parts in progress are not models yet) and
    the remembered outside files that still exist, in name order."""
    found: dict[Path, LocalModel] = {}
    if models.exists():
        for path in sorted(models.rglob("*.gguf")):
            first = split_set(path)[0]
            if first not in found and path.is_file():
                found[first] = describe(first, downloaded=True)
    for text in remembered or []:
        path = Path(text)
        if path.exists() and path not in found:
            found[path] = describe(path, downloaded=False)
    return sorted(found.values(), key=lambda m: m.path.name.lower())


def delete(model: LocalModel, models: Path) -> None:
    """Delete a downloaded model's files (never a file the user opened from elsewhere)."""
    if not model.downloaded:
        raise ModelFileError(
            f"{model.path} was opened from outside the models folder: not deleted."
        )
    for part in model.parts:
        with contextlib.suppress(FileNotFoundError):
            part.unlink()
    folder = model.path.parent
    while folder != models and folder.is_relative_to(models):
        with contextlib.suppress(OSError):
            folder.rmdir()  # only when empty
        folder = folder.parent


def partial_downloads(models: Path) -> list[Path]:
    """Parts of unfinished downloads, to resume or delete."""
    if not models.exists():
        return []
    return sorted(
        p
        for p in models.rglob(f"*{PART}")
        if p.with_name(p.name.removesuffix(PART) + META).exists()
    )


def disk_usage(models: Path) -> int:
    return sum(p.stat().st_size for p in models.rglob("*") if p.is_file()) if models.exists() else 0

"""``qwq-desktop models`` and ``qwq-desktop download``: what fits this machine, and
getting it, resumable and verified."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from app.core.errors import ModelFileError
from app.core.format import duration, size
from app.core.paths import AppPaths
from app.core.settings import AppSettings
from app.models import acquire, library
from app.models.catalog import Catalog
from app.models.download import DownloadStopped, Progress
from app.models.overview import overview
from app.models.sources import DownloadError, Source, hf_token

EXIT_INTERRUPTED = 130
WHERE = {"gpu": "all on GPU", "cpu": "CPU only", "none": "does not fit"}


def add_parsers(commands: Any) -> None:
    p = commands.add_parser(
        "models",
        help="the QwQ-32B files, how each fits this machine, and the models on disk",
    )
    p.add_argument("--json", action="store_true", help="one JSON object")
    p.add_argument("--context", type=int, metavar="N", help="plan for this context (32768)")
    p.add_argument("--add", metavar="PATH", help="check a GGUF file and remember it")
    p.add_argument("--default", metavar="PATH", help="make this model the default")
    p.add_argument("--delete", metavar="PATH", help="delete a downloaded model's files")
    p.add_argument(
        "--refresh",
        action="store_true",
        help="ask the Hub for every catalog file's exact size and SHA-256 (online)",
    )
    p.set_defaults(handler=run_models)

    p = commands.add_parser(
        "download",
        help="download a QwQ-32B quant (or any GGUF on the Hub); rerun to resume",
        description="Download into the models folder, verify its SHA-256, and only then "
        "give it its name. Ctrl+C pauses: run the same command again to resume.",
    )
    p.add_argument("quant", nargs="?", metavar="QUANT", help="a catalog quant, e.g. q4_k_m")
    p.add_argument("--repo", metavar="OWNER/NAME", help="any Hub repo (with --file)")
    p.add_argument("--file", metavar="PATH", help="a GGUF file in that repo")
    p.add_argument(
        "--source",
        default="hf",
        metavar="hf|modelscope|URL",
        help="Hugging Face (HF_ENDPOINT if set), ModelScope, or a Hub mirror's URL",
    )
    p.set_defaults(handler=run_download)


def run_models(args: argparse.Namespace) -> int:
    paths = AppPaths.current().ensure()
    settings = AppSettings.load(paths)
    if args.add:
        library.validate(args.add)  # ModelFileError: one clear line
        path = str(Path(args.add).resolve())
        if path not in settings.models:
            settings.models.append(path)
        settings.last_model = settings.last_model or path
        settings.save(paths)
        print(f"Added {path}")
        return 0
    if args.default:
        path = str(Path(args.default).resolve())
        library.validate(path, check_architecture=False)
        settings.last_model = path
        settings.save(paths)
        print(f"Default model: {path}")
        return 0
    if args.delete:
        return _delete(args.delete, paths, settings)
    if args.refresh:
        _refresh(paths)

    view = overview(paths.models, paths.cache, settings.models, args.context)
    if args.json:
        data = view.to_json()
        data["default"] = settings.last_model or None
        json.dump(data, sys.stdout, indent=2)
        print()
        return 0
    out = sys.stdout
    print(view.headline(), file=out)
    if view.reason():
        print(f"  {view.reason()}", file=out)
    print(
        f"  Context {view.context:,} tokens; {size(view.free_disk)} free in {view.models_folder}",
        file=out,
    )
    print(file=out)
    _table(view, out)
    print(file=out)
    if view.local:
        print("On this machine:", file=out)
        for m in view.local:
            mark = "*" if str(m.path) == settings.last_model else " "
            state = f"  ! {m.reason}" if m.problem else ""
            parts = f" ({len(m.parts)} parts)" if len(m.parts) > 1 else ""
            print(f" {mark} {m.quant:<8} {size(m.size):>9}  {m.path}{parts}{state}", file=out)
        print("  (* the default)", file=out)
    else:
        rec = view.recommended
        hint = f"qwq-desktop download {rec.entry.key}" if rec else "qwq-desktop download QUANT"
        print(f"No models on this machine yet. Get the recommended one with: {hint}", file=out)
    return 0


def _table(view: Any, out: TextIO) -> None:
    rec = view.recommended
    print(f"   {'QUANT':<8} {'SIZE':>8}  {'FIT':<22} {'SPEED':>10}  FILE", file=out)
    for fit in view.fits:
        plan = fit.plan
        where = WHERE.get(plan.mode) or f"{plan.gpu_layers}/{plan.layer_count} layers on GPU"
        speed = f"~{fit.tokens_per_second:.1f} t/s" if fit.tokens_per_second else "-"
        mark = ">" if rec is not None and fit.entry == rec.entry else " "
        have = ""
        if view.downloaded(fit):
            have = "  [downloaded]"
        elif fit.entry.key in view.partial:
            have = f"  [{size(view.partial[fit.entry.key])} downloaded: rerun to resume]"
        repo = "" if fit.entry.official else f"  ({fit.entry.repo})"
        print(
            f" {mark} {fit.entry.quant:<8} {size(fit.entry.size):>8}  {where:<22} {speed:>10}  "
            f"{fit.entry.file_name}{repo}{have}",
            file=out,
        )
    print("  (> recommended; speeds are estimates from memory bandwidth)", file=out)


def _delete(target: str, paths: AppPaths, settings: AppSettings) -> int:
    path = Path(target).resolve()
    found = next((m for m in library.scan(paths.models) if path in m.parts), None)
    if found is None:
        raise ModelFileError(f"{target} is not a downloaded model in {paths.models}.")
    library.delete(found, paths.models)
    if settings.last_model and Path(settings.last_model) in found.parts:
        settings.last_model = ""
        settings.save(paths)
    print(f"Deleted {found.path.name} ({size(found.size)})")
    return 0


def _refresh(paths: AppPaths) -> None:
    """The one online step of ``models``, only when asked: the Hub's sizes and SHA-256."""
    catalog = Catalog.load(paths.cache)
    source = Source.parse("hf")
    token = hf_token()
    changed = 0
    for entry in catalog.entries:
        try:
            files = source.resolve(entry.repo, [f.path for f in entry.files], token)
        except DownloadError as e:
            print(f"qwq-desktop: {entry.quant}: {e}", file=sys.stderr)
            continue
        catalog = catalog.with_remote(entry, files)
        changed += 1
    catalog.save(paths.cache)
    print(f"Asked {source.label} about {changed} of {len(catalog.entries)} files.", file=sys.stderr)


class _Bar:
    """One line, redrawn in place on a terminal; a line every 10% otherwise."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.tty = out.isatty()
        self.shown = -1
        self.last_state = ""

    def __call__(self, p: Progress) -> None:
        if p.state == "retrying" or (p.state != self.last_state and p.state != "downloading"):
            self._line(p)
        self.last_state = p.state
        if p.state != "downloading":
            return
        if self.tty:
            self._draw(p)
        elif int(p.fraction * 10) > self.shown:
            self.shown = int(p.fraction * 10)
            self._line(p)

    def _text(self, p: Progress) -> str:
        files = f" file {p.file_index}/{p.file_count}" if p.file_count > 1 else ""
        speed = f" {size(p.speed)}/s" if p.speed else ""
        eta = f" {duration(p.eta)} left" if p.eta is not None and p.speed else ""
        return f"{p.fraction:6.1%} {size(p.done)} of {size(p.total)}{speed}{eta}{files}"

    def _draw(self, p: Progress) -> None:
        width = 24
        filled = int(p.fraction * width)
        bar = "#" * filled + "-" * (width - filled)
        self.out.write(f"\r[{bar}] {self._text(p)}\x1b[K")
        self.out.flush()

    def _line(self, p: Progress) -> None:
        if self.tty:
            self.out.write("\r\x1b[K")
        label = {
            "checking": f"Checking what is already downloaded of {p.file}",
            "verifying": f"Verifying {p.file} (SHA-256)",
            "retrying": f"{p.file}: {p.message}",
            "done": f"{p.file}: verified",
        }.get(p.state, f"{self._text(p)}")
        print(label, file=self.out, flush=True)


def run_download(args: argparse.Namespace) -> int:
    paths = AppPaths.current().ensure()
    catalog = Catalog.load(paths.cache)
    request = acquire.request_for(catalog, args.quant, args.repo, args.file)
    source = Source.parse(args.source)
    print(f"Asking {source.label} about {request.repo}…", file=sys.stderr)
    download = acquire.prepare(
        catalog, request, source, paths.models, paths.cache, on_progress=_Bar(sys.stderr)
    )
    total = download.total
    print(
        f"{len(download.files)} file(s), {size(total)}, into {download.folder}",
        file=sys.stderr,
    )
    started = time.monotonic()
    try:
        files = download.run()
    except KeyboardInterrupt:
        download.pause()
        print("\nPaused: run the same command again to resume.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except DownloadStopped as e:
        print(f"\n{e}", file=sys.stderr)
        return EXIT_INTERRUPTED
    settings = AppSettings.load(paths)
    if not settings.last_model:
        settings.last_model = str(files[0])
        settings.save(paths)
    print(f"Done in {duration(time.monotonic() - started)}; verified.", file=sys.stderr)
    print(files[0])
    return 0

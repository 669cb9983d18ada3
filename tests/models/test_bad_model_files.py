"""A bad file in the models folder is listed as bad, with its reason, and the rest are
still listed; a bad file given on the command line is one clear line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from app.core.paths import AppPaths
from app.models import library
from tests.fixtures.cli import cli, one_clear_line
from tests.fixtures.gguf_bytes import kv_str, small_model
from tests.fixtures.models import ScriptFactory
from tests.fixtures.scripted_model import ScriptedModel


def bad_alignment() -> bytes:
    header = small_model()
    header.kvs[1] = kv_str("general.alignment", "thirty-two")
    return header.to_bytes()


@pytest.fixture
def folder(qwq_model: ScriptedModel, scripted: ScriptFactory) -> Path:
    """The models folder: a good model, a damaged header and a broken template."""
    models = AppPaths.current().ensure().models
    repo = models / "someone" / "models"
    repo.mkdir(parents=True)
    shutil.copy(qwq_model.path, repo / "good.gguf")
    (repo / "damaged.gguf").write_bytes(bad_alignment())
    shutil.copy(scripted(["x"], template="{% for %}").path, repo / "template.gguf")
    return repo


REASONS = {
    "damaged.gguf": "general.alignment must be a power of two",
    "template.gguf": "chat template has a syntax error",
}


def test_the_library_lists_bad_files_with_their_reason(folder: Path) -> None:
    found = {m.path.name: m for m in library.scan(AppPaths.current().models)}
    assert set(found) == {"good.gguf", "damaged.gguf", "template.gguf"}
    assert found["good.gguf"].usable
    for name, reason in REASONS.items():
        assert not found[name].usable
        assert reason in found[name].problem and "\n" not in found[name].problem


def test_cli_models_lists_the_bad_files_and_the_rest(folder: Path) -> None:
    text = cli("models")
    assert text.returncode == 0, text.stderr
    assert "Traceback" not in text.stderr
    lines = text.stdout.splitlines()
    assert any(ln.rstrip().endswith("good.gguf") for ln in lines), text.stdout
    for name, reason in REASONS.items():
        [line] = [ln for ln in lines if f"{name}  ! " in ln]
        assert reason in line
        assert line.count(name) == 1  # the reason does not repeat the path

    listed = cli("models", "--json")
    assert listed.returncode == 0, listed.stderr
    local = {Path(m["path"]).name: m for m in json.loads(listed.stdout)["local"]}
    assert local["good.gguf"]["problem"] is None
    for name, reason in REASONS.items():
        assert reason in local[name]["problem"]


def test_cli_a_bad_file_given_is_one_clear_line(tmp_path: Path) -> None:
    bad = tmp_path / "damaged.gguf"
    bad.write_bytes(bad_alignment())
    one_clear_line(cli("ask", "--model", str(bad), "Hi"), "general.alignment")
    one_clear_line(cli("models", "--add", str(bad)), "general.alignment")
    one_clear_line(cli("models", "--default", str(bad)), "general.alignment")

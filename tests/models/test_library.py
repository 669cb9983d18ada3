"""Bring your own GGUF: validation before loading, the library on disk, and the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from app.core.errors import ModelFileError
from app.core.paths import AppPaths
from app.core.settings import AppSettings
from app.models import library
from tests.fixtures.cli import cli, one_clear_line
from tests.fixtures.models import ScriptFactory
from tests.fixtures.scripted_model import ScriptedModel


def test_a_good_file_passes_and_bad_ones_say_what_is_wrong(
    qwq_model: ScriptedModel, scripted: ScriptFactory, tmp_path: Path
) -> None:
    info = library.validate(qwq_model.path)
    assert info.architecture == "qwen2"

    text = tmp_path / "notes.gguf"
    text.write_text("hello, not a model")
    with pytest.raises(ModelFileError, match=r"(?i)not a GGUF"):
        library.validate(text)

    cut = tmp_path / "cut.gguf"
    cut.write_bytes(qwq_model.path.read_bytes()[: qwq_model.path.stat().st_size * 2 // 3])
    with pytest.raises(ModelFileError, match=r"incomplete|truncated"):
        library.validate(cut)

    alien = scripted(["x"], architecture="notarealarch")
    with pytest.raises(ModelFileError, match=r"'notarealarch'.*not supported"):
        library.validate(alien.path)


def test_a_split_set_needs_every_part(qwq_model: ScriptedModel, tmp_path: Path) -> None:
    parts = [tmp_path / f"model-{i:05d}-of-00003.gguf" for i in (1, 2, 3)]
    for part in parts[:2]:
        shutil.copy(qwq_model.path, part)
    with pytest.raises(ModelFileError, match=r"3-part model and 1 part\(s\) are missing: model-00003-of-00003.gguf"):  # fmt: skip
        library.validate(parts[1])
    shutil.copy(qwq_model.path, parts[2])
    assert library.validate(parts[1]).architecture == "qwen2"
    [found] = library.scan(tmp_path)
    assert found.path == parts[0] and found.parts == tuple(parts)
    assert found.size == 3 * qwq_model.path.stat().st_size


def test_the_library_lists_downloads_and_remembered_files_not_partials(
    qwq_model: ScriptedModel, tmp_path: Path
) -> None:
    models = tmp_path / "models"
    repo = models / "Qwen" / "QwQ-32B-GGUF"
    repo.mkdir(parents=True)
    shutil.copy(qwq_model.path, repo / "qwq-32b-q4_k_m.gguf")
    (repo / "qwq-32b-q8_0.gguf.part").write_bytes(b"GGUF half")
    (repo / "qwq-32b-q8_0.gguf.part.json").write_text("{}")
    outside = tmp_path / "elsewhere" / "mine.gguf"
    outside.parent.mkdir()
    shutil.copy(qwq_model.path, outside)

    found = library.scan(models, [str(outside), str(tmp_path / "gone.gguf")])
    assert [(m.path.name, m.downloaded, m.quant) for m in found] == [
        ("mine.gguf", False, found[0].quant),
        ("qwq-32b-q4_k_m.gguf", True, found[1].quant),
    ]
    assert all(m.usable for m in found)
    assert library.partial_downloads(models) == [repo / "qwq-32b-q8_0.gguf.part"]

    with pytest.raises(ModelFileError, match="outside the models folder"):
        library.delete(found[0], models)
    assert outside.exists()
    library.delete(found[1], models)
    assert not (repo / "qwq-32b-q4_k_m.gguf").exists()
    assert repo.exists()  # still holds the partial download


def test_cli_add_default_list_and_delete(qwq_model: ScriptedModel, tmp_path: Path) -> None:
    paths = AppPaths.current()
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"nope")
    one_clear_line(cli("models", "--add", str(bad)), "not a GGUF")

    added = cli("models", "--add", str(qwq_model.path))
    assert added.returncode == 0, added.stderr
    settings = AppSettings.load(paths)
    assert settings.models == [str(qwq_model.path.resolve())]
    assert settings.last_model == str(qwq_model.path.resolve())

    listed = cli("models", "--json")
    assert listed.returncode == 0, listed.stderr
    data = json.loads(listed.stdout)
    assert [m["path"] for m in data["local"]] == [str(qwq_model.path.resolve())]
    assert data["default"] == str(qwq_model.path.resolve())
    assert data["local"][0]["downloaded"] is False
    assert {c["fit"] for c in data["catalog"]} <= {"gpu", "partial", "cpu", "none"}

    text = cli("models")
    assert text.returncode == 0 and "On this machine:" in text.stdout
    assert "*" in text.stdout and qwq_model.path.name in text.stdout

    one_clear_line(cli("models", "--delete", str(qwq_model.path)), "not a downloaded model")
    assert qwq_model.path.exists()

"""Inspecting GGUF files, and the clear errors for files that are not usable."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.errors import ModelFileError
from app.engine.gguf_file import read_gguf
from app.engine.local_engine import LocalEngine
from tests.fixtures.models import ScriptFactory
from tests.fixtures.scripted_model import ScriptedModel


def test_reads_metadata_without_loading(qwq_model: ScriptedModel) -> None:
    info = read_gguf(qwq_model.path)
    assert info.architecture == "qwen2"
    assert info.layer_count == 1
    assert info.context_length == 131072
    assert info.quantization == "F32"
    assert info.chat_template is not None and "<think>" in info.chat_template
    assert info.data_end == info.file_size
    assert not info.truncated


def test_reads_the_real_gemma_model(gemma_path: Path) -> None:
    info = read_gguf(gemma_path)
    assert info.architecture == "gemma3"
    assert info.quantization == "Q4_K_M"
    assert info.layer_count == 18
    assert info.context_length == 32768
    assert info.parameter_label == "268M"
    assert info.chat_template is None


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="not found"):
        LocalEngine(tmp_path / "nope.gguf")


def test_folder_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="folder"):
        LocalEngine(tmp_path)


@pytest.mark.parametrize(
    "content", [b"", b"hello, I am a text file\n" * 10, b"PK\x03\x04" + b"\0" * 100]
)
def test_not_a_gguf_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "model.gguf"
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match="Not a GGUF model file"):
        LocalEngine(path)


@pytest.mark.parametrize("keep", [0.999, 0.5, 0.01, 30 / 2_000_000])
def test_truncated_file_says_the_download_may_be_incomplete(
    qwq_model: ScriptedModel, tmp_path: Path, keep: float
) -> None:
    data = qwq_model.path.read_bytes()
    path = tmp_path / "cut.gguf"
    path.write_bytes(data[: max(24, int(len(data) * keep))])
    with pytest.raises(ModelFileError, match="truncated"):
        LocalEngine(path)


def test_unsupported_architecture(scripted: ScriptFactory) -> None:
    model = scripted(["x"], architecture="notarealarch")
    with pytest.raises(ModelFileError, match="architecture \\('notarealarch'\\) is not supported"):
        LocalEngine(model.path)

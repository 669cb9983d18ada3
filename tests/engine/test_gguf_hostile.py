"""Hostile GGUF headers: each is refused with one clear ModelFileError, quickly and
with little memory. Each file is read in a child process under a memory limit, so a
reader that tries to allocate gigabytes fails the test instead of the test runner."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from app.engine.gguf_file import read_gguf
from tests.fixtures.cli import ROOT
from tests.fixtures.gguf_bytes import (
    ARRAY,
    STRING,
    U32,
    array,
    kv,
    kv_str,
    small_model,
    string,
    tensor,
)
from tests.fixtures.memory_box import PRELUDE

HEADROOM = 512 * 1024 * 1024  # address space the reader may add to what Python uses already

_BOX = (
    PRELUDE
    + """
from app.engine.gguf_file import read_gguf

cap_memory(int(sys.argv[2]))
print(json.dumps(outcome(lambda: read_gguf(sys.argv[1]).architecture)))
"""
)


def read_in_a_box(path: Path, timeout: float = 20) -> dict[str, object]:
    """read_gguf(path) in a child under a memory limit: its outcome, or a hang."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", _BOX, str(path), str(HEADROOM)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"other": f"still reading after {timeout} s"}
    lines = done.stdout.strip().splitlines()
    assert lines, done.stderr[-2000:]
    outcome: dict[str, object] = json.loads(lines[-1])
    return outcome


def hostile(name: str) -> bytes:
    h = small_model()
    if name == "block index of three billion":  # the 193-byte file, in 164 bytes
        h.tensors = [tensor("blk.3000000000.x", [1])]
        h.data = b"\0" * 4
    elif name == "100k dimensions":
        h.tensors = [tensor("t", [1 << 62] * 100_000)]
    elif name == "alignment is a string":
        h.kvs[1] = kv_str("general.alignment", "thirty-two")
    elif name == "alignment is zero":
        h.kvs[1] = kv("general.alignment", U32, struct.pack("<I", 0))
    elif name == "5,000-digit block index":
        h.tensors = [tensor("blk." + "9" * 5000 + ".x", [8])]
    elif name == "arrays nested 20,000 deep":
        h.kvs.append(kv("deep", ARRAY, struct.pack("<IQ", ARRAY, 1) * 20_000 + array(U32, 0, b"")))
    elif name == "array of 2^60 strings":
        h.kvs.append(kv("tokens", ARRAY, array(STRING, 1 << 60, string("a") * 100)))
    elif name == "2^63 metadata entries":
        h.n_kv = 1 << 63
    elif name == "2^40 tensors":
        h.n_tensors = 1 << 40
    elif name == "a key of 2^62 bytes":
        h.kvs.append(struct.pack("<Q", 1 << 62) + b"k" * 64)
    elif name == "block count is text":
        h.kvs.append(kv_str("llama.block_count", "sixty-four"))
    elif name == "unknown value type":
        h.kvs.append(kv("x", 77, b"\0" * 8))
    else:
        raise AssertionError(name)
    return h.to_bytes()


HOSTILE = [
    "block index of three billion",
    "100k dimensions",
    "alignment is a string",
    "alignment is zero",
    "5,000-digit block index",
    "arrays nested 20,000 deep",
    "array of 2^60 strings",
    "2^63 metadata entries",
    "2^40 tensors",
    "a key of 2^62 bytes",
    "block count is text",
    "unknown value type",
]


def test_the_small_header_used_here_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "ok.gguf"
    path.write_bytes(small_model().to_bytes())
    info = read_gguf(path)
    assert info.architecture == "llama"
    assert info.layer_bytes == (32,)
    assert not info.truncated


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_header_is_one_clear_error_in_bounded_time_and_memory(
    tmp_path: Path, name: str
) -> None:
    path = tmp_path / "hostile.gguf"
    path.write_bytes(hostile(name))
    assert path.stat().st_size < 1_000_000
    outcome = read_in_a_box(path)
    assert "other" not in outcome, outcome
    error = str(outcome.get("error", ""))
    assert error, outcome  # refused, not accepted
    assert "\n" not in error and len(error) < 400 + len(str(path)), error
    assert str(path) in error
    assert float(str(outcome["seconds"])) < 2.0, outcome

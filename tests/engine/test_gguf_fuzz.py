"""Property: whatever bytes a GGUF header holds, reading it ends in a result or in
ModelFileError, never another exception, within a bounded time and memory.

A valid small header is mutated: integers written over counts, types, lengths and
names (0, 1, 2**31, 2**63, 2**64 - 1, random), random bytes, truncation. The address
space is capped while the examples run, so an allocation sized by a hostile field
shows up as a MemoryError (a failure), not as a machine brought down.
"""

from __future__ import annotations

import resource
import struct
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.errors import ModelFileError
from app.engine.chat_template import check_templates
from app.engine.gguf_file import read_gguf
from tests.fixtures.gguf_bytes import (
    ARRAY,
    I32,
    STRING,
    U8,
    U32,
    U64,
    array,
    kv,
    kv_str,
    small_model,
    string,
    tensor,
)

MB = 1024 * 1024


def seed() -> bytes:
    """A valid header that uses every kind of field the reader knows."""
    h = small_model(template="{% for m in messages %}{{ m.content }}{% endfor %}")
    h.kvs += [
        kv("llama.block_count", U32, struct.pack("<I", 2)),
        kv("llama.context_length", U64, struct.pack("<Q", 4096)),
        kv("llama.attention.head_count", I32, struct.pack("<i", 4)),
        kv("tokenizer.ggml.tokens", ARRAY, array(STRING, 20, string("tok") * 20)),
        kv("tokenizer.ggml.scores", ARRAY, array(U8, 3, b"\1\2\3")),
        kv("nested", ARRAY, array(ARRAY, 2, array(U32, 1, b"\0" * 4) * 2)),
    ]
    h.kvs.append(kv_str("general.name", "seed"))
    h.tensors = [
        tensor("blk.0.attn_q.weight", [4, 2]),
        tensor("blk.1.attn_q.weight", [8], offset=32),
        tensor("output.weight", [2, 2, 2], offset=64),
    ]
    h.data = b"\0" * 96
    return h.to_bytes()


SEED = seed()
HEADER_END = len(SEED) - 96
INTERESTING = [0, 1, 2, 3, 4, 8, 9, 12, 16, 17, 31, 32, 255, 2**31 - 1, 2**31, 2**32 - 1]
INTERESTING += [2**32, 2**62, 2**63 - 1, 2**63, 2**64 - 1]

integers = st.one_of(st.sampled_from(INTERESTING), st.integers(0, 2**64 - 1))
mutation = st.one_of(
    st.tuples(st.integers(0, HEADER_END - 1), st.just("<Q"), integers),
    st.tuples(st.integers(0, HEADER_END - 1), st.just("<I"), integers.map(lambda n: n % 2**32)),
    st.tuples(st.integers(0, HEADER_END - 1), st.just("bytes"), st.binary(min_size=1, max_size=8)),
)


def mutate(mutations: list[tuple[int, str, object]], cut: int | None) -> bytes:
    data = bytearray(SEED)
    for offset, kind, value in mutations:
        raw = value if isinstance(value, bytes) else struct.pack(kind, value)
        data[offset : offset + len(raw)] = raw
    return bytes(data[:cut] if cut is not None else data)


KEYS = [
    "general.alignment",
    "general.architecture",
    "general.file_type",
    "llama.block_count",
    "llama.context_length",
    "llama.embedding_length",
    "llama.attention.head_count",
    "llama.attention.head_count_kv",
    "tokenizer.chat_template",
    "tokenizer.chat_template.tool_use",
    "tokenizer.ggml.tokens",
]
SCALAR_FORMATS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<B"}
SCALAR_FORMATS |= {10: "<Q", 11: "<q", 12: "<d"}


@st.composite
def values(draw: st.DrawFn, depth: int = 0) -> tuple[int, bytes]:
    """A metadata value: its type and bytes, often with a lying length or count."""
    known = st.sampled_from([*SCALAR_FORMATS, STRING, STRING, ARRAY, ARRAY])
    vtype = draw(st.one_of(known, known, known, st.integers(0, 2**32 - 1)))
    if vtype in SCALAR_FORMATS:
        fmt = SCALAR_FORMATS[vtype]
        return vtype, draw(st.binary(min_size=struct.calcsize(fmt), max_size=struct.calcsize(fmt)))
    if vtype == STRING:
        text = draw(st.sampled_from(["", "llama", "{% for %}", "{{ 'x' * 300000000 }}", "32"]))
        raw = text.encode()
        true = st.just(len(raw))
        length = draw(st.one_of(true, true, true, integers))
        return vtype, struct.pack("<Q", length) + raw
    if vtype == ARRAY:
        if depth < 3 and draw(st.booleans()):
            items = [draw(values(depth + 1)) for _ in range(draw(st.integers(0, 3)))]
            item_type = items[0][0] if items else U32
            body = b"".join(raw for _, raw in items)
        else:
            item_type = draw(st.sampled_from([U8, U32, U64, STRING, ARRAY, 13]))
            body = draw(st.binary(max_size=40))
            if draw(st.booleans()):  # arrays of arrays, deeper than any real file
                body = struct.pack("<IQ", ARRAY, 1) * draw(st.integers(1, 3000)) + body
                item_type = ARRAY
        small = st.integers(0, 20)
        count = draw(st.one_of(small, small, small, integers))
        return vtype, struct.pack("<IQ", item_type, count) + body
    return vtype, draw(st.binary(max_size=8))


block_index = st.one_of(
    st.sampled_from(["0", "1", "2", "3000000000", "9" * 20, "9" * 5000]),
    st.integers(0, 2**64).map(str),
)
tensor_name = st.one_of(
    block_index.map(lambda i: f"blk.{i}.attn_q.weight"), st.text(max_size=20), st.just("output")
)


@st.composite
def headers(draw: st.DrawFn) -> bytes:
    h = small_model()
    for _ in range(draw(st.integers(0, 4))):
        key = draw(st.one_of(st.sampled_from(KEYS), st.text(max_size=10)))
        vtype, raw = draw(values())
        h.kvs.insert(draw(st.integers(0, len(h.kvs))), kv(key, vtype, raw))
    for _ in range(draw(st.integers(0, 3))):
        n_dims = draw(st.one_of(st.integers(0, 5), st.sampled_from([100, 2_000])))
        dims = [draw(st.sampled_from(INTERESTING)) for _ in range(min(n_dims, 5))]
        dims += dims[-1:] * (n_dims - len(dims))
        type_id = draw(st.one_of(st.just(0), st.integers(0, 40), st.integers(0, 2**32 - 1)))
        offset = draw(st.one_of(st.sampled_from([0, 32, 2**63]), integers))
        h.tensors.append(tensor(draw(tensor_name), dims, type_id, offset))
    if draw(st.integers(0, 3)) == 0:  # mostly the true counts, so the reader gets far
        h.n_kv = draw(integers)
    if draw(st.integers(0, 3)) == 0:
        h.n_tensors = draw(integers)
    return h.to_bytes()


@pytest.fixture(scope="module")
def capped_memory() -> Iterator[None]:
    """At most 1 GB of address space more than now, while the examples run."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/status") as f:
        vm = next(int(ln.split()[1]) * 1024 for ln in f if ln.startswith("VmSize:"))
    cap = vm + 1024 * MB
    resource.setrlimit(
        resource.RLIMIT_AS, (cap if hard == resource.RLIM_INFINITY else min(cap, hard), hard)
    )
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "model.gguf"


def test_the_seed_is_valid(target: Path) -> None:
    target.write_bytes(SEED)
    info = read_gguf(target)
    assert info.layer_count == 2 and info.layer_bytes == (32, 32)
    assert info.chat_template is not None


def read_cleanly(path: Path) -> None:
    """read_gguf(path) and what the app then asks of it: a result or ModelFileError,
    fast and small."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        info = read_gguf(path)
        _ = (info.quantization, info.parameter_label, info.kv_values_per_token)
        _ = (info.layer_count, info.context_length, info.vocab_size, info.weights_bytes)
        check_templates(info.metadata)
    except ModelFileError as e:
        assert "\n" not in str(e) and len(str(e)) < 600 + len(str(path))
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert time.perf_counter() - started < 1.0
    assert peak < 16 * MB


FUZZ = settings(
    max_examples=400,
    deadline=3000,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.usefixtures("capped_memory")
@FUZZ
@given(header=headers())
def test_any_header_built_from_hostile_fields_is_read_or_refused_cleanly(
    target: Path, header: bytes
) -> None:
    target.write_bytes(header)
    read_cleanly(target)


@pytest.mark.usefixtures("capped_memory")
@FUZZ
@given(
    mutations=st.lists(mutation, min_size=1, max_size=4),
    cut=st.one_of(st.none(), st.integers(0, len(SEED))),
)
def test_any_mutation_of_a_valid_header_is_read_or_refused_cleanly(
    target: Path, mutations: list[tuple[int, str, object]], cut: int | None
) -> None:
    target.write_bytes(mutate(mutations, cut))
    read_cleanly(target)

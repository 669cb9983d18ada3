"""Inspect a GGUF file without loading it: metadata, size, and whether it is whole.

Reads the header, the key/value metadata and the tensor table only. Large arrays
(a 262k-token vocabulary) are skipped, not decoded, so a 20 GB model is inspected
in well under a second. The ``gguf`` package (from llama.cpp) supplies the format's
constants; its own reader decodes every array and takes tens of seconds on a big
vocabulary, so it is not used here.

The file is untrusted: every count and length in it is checked against the bytes left
and against limits far above any real model before anything is allocated or looped
over for it, so a hostile header is refused in milliseconds, with little memory.
Errors are :class:`ModelFileError` with a message a user can act on.
"""

from __future__ import annotations

import mmap
import re
import reprlib
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType, LlamaFileType

from app.core.errors import ModelFileError
from app.core.i18n import translate

MAGIC = b"GGUF"
_BLOCK = re.compile(r"blk\.(\d+)\.")
_SCALARS: dict[int, str] = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}
_STRING, _ARRAY = 8, 9
_ARRAY_PREVIEW = 16  # arrays longer than this are skipped, only their length kept

# Limits on what the header may claim, far above any real model (QwQ-32B: 26 keys,
# 771 tensors, 152k-token vocabulary, 151k merges) and low enough that reading a hostile
# header stays fast and small. Counts are also checked against the bytes left.
MAX_KV = 65_536  # metadata entries
MAX_TENSORS = 1_048_576
MAX_ARRAY = 16_777_216  # items in one metadata array (a vocabulary, merges)
MAX_ARRAY_DEPTH = 4  # arrays of arrays (real models use none)
MAX_NAME = 65_535  # bytes in a key or a tensor name (the GGUF spec's limit for keys)
MAX_STRING = 1 << 20  # longer metadata strings are skipped, not decoded
MAX_DIMS = 4  # GGML_MAX_DIMS
MAX_BLOCK_DIGITS = 9  # blk.N.*: N below a billion (and below the tensor count)
# Numeric metadata the app computes with: must be integers when present.
_INT_KEYS = (
    "block_count",
    "context_length",
    "embedding_length",
    "attention.head_count",
    "attention.head_count_kv",
    "attention.key_length",
    "attention.value_length",
)


class _Truncated(Exception):
    pass


class _Damaged(Exception):
    """The header contradicts itself or claims more than is sane; the text says how."""


@dataclass(frozen=True, slots=True)
class SkippedString:
    """Stands for a metadata string too long to decode (over :data:`MAX_STRING` bytes)."""

    length: int


@dataclass(frozen=True, slots=True)
class SkippedArray:
    """Stands for a long array in the metadata (a vocabulary, merges, scores)."""

    length: int


@dataclass(frozen=True)
class GGUFInfo:
    path: Path
    file_size: int
    version: int
    metadata: dict[str, Any]
    tensor_count: int
    parameter_count: int
    data_end: int  # where the last tensor's data ends; > file_size means truncated
    tensor_types: dict[str, int] = field(default_factory=dict)  # type name -> tensor count
    layer_bytes: tuple[int, ...] = ()  # weights of each block (blk.N.*), in order
    other_bytes: int = 0  # weights outside the blocks: embeddings, output, norms

    @property
    def weights_bytes(self) -> int:
        return sum(self.layer_bytes) + self.other_bytes

    @property
    def kv_values_per_token(self) -> int:
        """K and V values cached per token, over all layers (64 x 8 x 128 x 2 for QwQ)."""
        heads = self._arch_int("attention.head_count")
        kv_heads = self._arch_int("attention.head_count_kv") or heads
        embd = self._arch_int("embedding_length")
        key = self._arch_int("attention.key_length") or (embd // heads if embd and heads else 0)
        value = self._arch_int("attention.value_length") or key
        layers = self.layer_count or 0
        return int(layers * (kv_heads or 0) * (key + value))

    @property
    def attention_heads(self) -> int:
        return self._arch_int("attention.head_count") or 0

    @property
    def vocab_size(self) -> int:
        tokens = self.metadata.get("tokenizer.ggml.tokens")
        if isinstance(tokens, SkippedArray):
            return tokens.length
        return len(tokens) if isinstance(tokens, list) else 0

    @property
    def architecture(self) -> str:
        return str(self.metadata.get("general.architecture", "unknown"))

    def _arch(self, key: str) -> Any:
        return self.metadata.get(f"{self.architecture}.{key}")

    def _arch_int(self, key: str) -> int | None:
        """An integer field; the largest one where the file gives a value per layer."""
        value = self._arch(key)
        if isinstance(value, list):
            value = max(value, default=None)
        return value if isinstance(value, int) else None

    @property
    def name(self) -> str:
        return str(self.metadata.get("general.name") or self.path.stem)

    @property
    def layer_count(self) -> int | None:
        return self._arch_int("block_count")

    @property
    def context_length(self) -> int | None:
        return self._arch_int("context_length")

    @property
    def chat_template(self) -> str | None:
        value = self.metadata.get("tokenizer.chat_template")
        return value if isinstance(value, str) and value.strip() else None

    @property
    def quantization(self) -> str:
        """The file type as people name it: Q4_K_M, Q8_0, F16..."""
        ftype = self.metadata.get("general.file_type")
        if isinstance(ftype, int):
            try:
                name = LlamaFileType(ftype).name
            except ValueError:
                name = ""
            for prefix in ("MOSTLY_", "ALL_"):
                name = name.removeprefix(prefix)
            if name and name != "GUESSED":
                return name
        # No file type: name it after the most common tensor type.
        if self.tensor_types:
            return max(self.tensor_types.items(), key=lambda kv: kv[1])[0]
        return "unknown"

    @property
    def parameter_label(self) -> str:
        n = self.parameter_count
        for unit, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
            if n >= scale:
                return f"{n / scale:.3g}{unit}"
        return str(n)

    @property
    def truncated(self) -> bool:
        return self.data_end > self.file_size


class _Reader:
    """Reads the header fields in order. Every count and length in the file is checked
    against the bytes left before anything is allocated or looped over for it."""

    def __init__(self, buf: mmap.mmap | bytes) -> None:
        self.buf = buf
        self.pos = 0
        self.size = len(buf)

    def left(self) -> int:
        return self.size - self.pos

    def take(self, fmt: str) -> Any:
        size = struct.calcsize(fmt)
        if self.pos + size > self.size:
            raise _Truncated
        (value,) = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += size
        return value

    def count(self, what: str, min_bytes: int, limit: int) -> int:
        """A count of ``what`` read from the file: at most ``limit`` and no more than the
        bytes left can hold at ``min_bytes`` each."""
        n: int = self.take("<Q")
        if n > limit:
            raise _Damaged(f"it lists {n:,} {what}; at most {limit:,} are supported")
        if n * min_bytes > self.left():
            raise _Truncated
        return n

    def string(self) -> str | SkippedString:
        n = self.take("<Q")
        if n > self.left():
            raise _Truncated
        start = self.pos
        self.pos += n
        if n > MAX_STRING:
            return SkippedString(n)  # a long text nobody here reads: not decoded
        return bytes(self.buf[start : self.pos]).decode("utf-8", errors="replace")

    def name(self, what: str) -> str:
        n = self.take("<Q")
        if n > MAX_NAME:
            raise _Damaged(f"a {what} is {n:,} bytes long; at most {MAX_NAME:,} are allowed")
        if n > self.left():
            raise _Truncated
        raw = bytes(self.buf[self.pos : self.pos + n])
        self.pos += n
        return raw.decode("utf-8", errors="replace")

    def skip_strings(self, count: int) -> None:
        for _ in range(count):
            n = self.take("<Q")
            if n > self.left():
                raise _Truncated
            self.pos += n

    def value(self, vtype: int, depth: int = 0) -> Any:
        if vtype in _SCALARS:
            return self.take(_SCALARS[vtype])
        if vtype == _STRING:
            return self.string()
        if vtype != _ARRAY:
            raise _Damaged(f"unknown GGUF value type {vtype}")
        if depth >= MAX_ARRAY_DEPTH:
            raise _Damaged(f"arrays are nested more than {MAX_ARRAY_DEPTH} deep")
        item_type = self.take("<I")
        if item_type in _SCALARS:
            item_size = struct.calcsize(_SCALARS[item_type])
        elif item_type == _STRING:
            item_size = 8
        elif item_type == _ARRAY:
            item_size = 12
        else:
            raise _Damaged(f"unknown GGUF value type {item_type}")
        count = self.count("array items", item_size, MAX_ARRAY)
        if count <= _ARRAY_PREVIEW:
            return [self.value(item_type, depth + 1) for _ in range(count)]
        if item_type in _SCALARS:
            self.pos += count * item_size  # checked above against the bytes left
        elif item_type == _STRING:
            self.skip_strings(count)
        else:
            for _ in range(count):
                self.value(item_type, depth + 1)
        return SkippedArray(count)


def _tensor_bytes(type_id: int, elements: int) -> int:
    block, size = GGML_QUANT_SIZES[GGMLQuantizationType(type_id)]
    return elements // block * size


def read_gguf(path: str | Path) -> GGUFInfo:
    """Inspect ``path``; raise :class:`ModelFileError` if it is not a usable GGUF file."""
    path = Path(path)
    if not path.exists():
        raise ModelFileError(
            translate("GGUFFile", "Model file not found: {path}").format(path=path)
        )
    if path.is_dir():
        raise ModelFileError(
            translate("GGUFFile", "Model path is a folder, not a GGUF file: {path}").format(
                path=path
            )
        )
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            if size < 24:
                head = f.read(4)
                if head != MAGIC[: len(head)] or not head:
                    raise ModelFileError(
                        translate("GGUFFile", "Not a GGUF model file: {path}").format(path=path)
                    )
                raise ModelFileError(
                    translate(
                        "GGUFFile", "The GGUF file is truncated ({size} bytes): {path}"
                    ).format(size=size, path=path)
                )
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
                return _parse(path, size, buf)
    except PermissionError as e:
        raise ModelFileError(
            translate("GGUFFile", "Cannot read the model file (permission denied): {path}").format(
                path=path
            )
        ) from e
    except OSError as e:
        raise ModelFileError(
            translate("GGUFFile", "Cannot read the model file: {path}: {error}").format(
                path=path, error=e.strerror or e
            )
        ) from e


def _parse(path: Path, size: int, buf: mmap.mmap) -> GGUFInfo:
    if buf[:4] != MAGIC:
        raise ModelFileError(
            translate("GGUFFile", "Not a GGUF model file: {path}").format(path=path)
        )
    r = _Reader(buf)
    r.pos = 4
    try:
        version = r.take("<I")
        if version not in (2, 3):
            raise ModelFileError(
                translate("GGUFFile", "Unsupported GGUF version {version}: {path}").format(
                    version=version, path=path
                )
            )
        n_tensors = r.count("tensors", 8 + 4 + 4 + 8, MAX_TENSORS)  # name, dims, type, offset
        n_kv = r.count("metadata entries", 8 + 4 + 1, MAX_KV)
        metadata: dict[str, Any] = {}
        for _ in range(n_kv):
            key = r.name("metadata key")
            metadata[key] = r.value(r.take("<I"))
        _check_metadata(metadata)
        params = 0
        data_size = 0
        types: dict[str, int] = {}
        layer_bytes: dict[int, int] = {}
        other_bytes = 0
        for _ in range(n_tensors):
            name = r.name("tensor name")
            n_dims = r.take("<I")
            if n_dims > MAX_DIMS:
                raise _Damaged(
                    f"tensor {_shown(name)} has {n_dims:,} dimensions (at most {MAX_DIMS})"
                )
            elements = 1
            for _ in range(n_dims):
                elements *= r.take("<Q")
            if elements >= 1 << 63:
                raise _Damaged(f"tensor {_shown(name)} claims {elements:.3g} elements")
            type_id = r.take("<I")
            offset = r.take("<Q")
            params += elements
            try:
                nbytes = _tensor_bytes(type_id, elements)
                type_name = GGMLQuantizationType(type_id).name
            except (ValueError, KeyError):
                raise ModelFileError(
                    translate(
                        "GGUFFile",
                        "The GGUF file uses a tensor type ({type}) this version does not know: {path}",
                    ).format(type=type_id, path=path)
                ) from None
            data_size = max(data_size, offset + nbytes)
            types[type_name] = types.get(type_name, 0) + 1
            block = _BLOCK.match(name)
            if block:
                digits = block.group(1)
                if len(digits) > MAX_BLOCK_DIGITS or int(digits) >= n_tensors:
                    raise _Damaged(
                        f"tensor {_shown(name)} is in block {_shown(digits)} but the file "
                        f"has only {n_tensors:,} tensor(s)"
                    )
                index = int(digits)
                layer_bytes[index] = layer_bytes.get(index, 0) + nbytes
            else:
                other_bytes += nbytes
    except _Truncated:
        raise ModelFileError(
            translate(
                "GGUFFile",
                "The GGUF file is truncated ({size:,} bytes); the download may be incomplete: {path}",
            ).format(size=size, path=path)
        ) from None
    except _Damaged as e:
        raise ModelFileError(
            translate("GGUFFile", "The GGUF file is damaged ({error}): {path}").format(
                error=e, path=path
            )
        ) from None
    alignment = metadata.get("general.alignment", 32)
    data_start = -(-r.pos // alignment) * alignment
    info = GGUFInfo(
        path=path,
        file_size=size,
        version=version,
        metadata=metadata,
        tensor_count=n_tensors,
        parameter_count=params,
        data_end=data_start + data_size,
        tensor_types=types,
        layer_bytes=tuple(layer_bytes.get(i, 0) for i in range(max(layer_bytes, default=-1) + 1)),
        other_bytes=other_bytes,
    )
    if info.truncated:
        raise ModelFileError(
            translate(
                "GGUFFile",
                "The GGUF file is truncated ({size:,} bytes); the download may be incomplete: {path}",
            ).format(size=size, path=path)
        )
    return info


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_metadata(metadata: dict[str, Any]) -> None:
    """The values the app computes with have the types it computes with."""
    alignment = metadata.get("general.alignment", 32)
    if not _is_count(alignment) or alignment == 0 or alignment & (alignment - 1):
        raise _Damaged(f"general.alignment must be a power of two, not {_shown(alignment)}")
    arch = metadata.get("general.architecture", "unknown")
    for key in _INT_KEYS:
        value = metadata.get(f"{arch}.{key}")
        if value is None or _is_count(value) or isinstance(value, SkippedArray):
            continue
        if isinstance(value, list) and all(_is_count(v) for v in value):
            continue  # a value per layer (some models' head counts)
        raise _Damaged(f"{arch}.{key} must be a non-negative integer, not {_shown(value)}")


def _shown(value: Any) -> str:
    return reprlib.repr(value)

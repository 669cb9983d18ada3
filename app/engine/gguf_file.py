"""Inspect a GGUF file without loading it: metadata, size, and whether it is whole.

Reads the header, the key/value metadata and the tensor table only. Large arrays
(a 262k-token vocabulary) are skipped, not decoded, so a 20 GB model is inspected
in well under a second. The ``gguf`` package (from llama.cpp) supplies the format's
constants; its own reader decodes every array and takes tens of seconds on a big
vocabulary, so it is not used here.

Errors are :class:`ModelFileError` with a message a user can act on.
"""

from __future__ import annotations

import mmap
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType, LlamaFileType

from app.core.errors import ModelFileError

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


class _Truncated(Exception):
    pass


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
        heads = self._arch("attention.head_count")
        kv_heads = self._arch("attention.head_count_kv") or heads
        embd = self._arch("embedding_length")
        key = self._arch("attention.key_length") or (embd // heads if embd and heads else 0)
        value = self._arch("attention.value_length") or key
        layers = self.layer_count or 0
        return int(layers * int(kv_heads or 0) * (int(key) + int(value)))

    @property
    def attention_heads(self) -> int:
        return int(self._arch("attention.head_count") or 0)

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

    @property
    def name(self) -> str:
        return str(self.metadata.get("general.name") or self.path.stem)

    @property
    def layer_count(self) -> int | None:
        value = self._arch("block_count")
        return int(value) if value is not None else None

    @property
    def context_length(self) -> int | None:
        value = self._arch("context_length")
        return int(value) if value is not None else None

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
    def __init__(self, buf: mmap.mmap | bytes) -> None:
        self.buf = buf
        self.pos = 0

    def take(self, fmt: str) -> Any:
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.buf):
            raise _Truncated
        (value,) = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += size
        return value

    def string(self) -> str:
        n = self.take("<Q")
        if self.pos + n > len(self.buf):
            raise _Truncated
        raw = self.buf[self.pos : self.pos + n]
        self.pos += n
        return bytes(raw).decode("utf-8", errors="replace")

    def skip_string(self) -> None:
        n = self.take("<Q")
        self.pos += n

    def value(self, vtype: int) -> Any:
        if vtype in _SCALARS:
            return self.take(_SCALARS[vtype])
        if vtype == _STRING:
            return self.string()
        if vtype == _ARRAY:
            item_type = self.take("<I")
            count = self.take("<Q")
            if count <= _ARRAY_PREVIEW:
                return [self.value(item_type) for _ in range(count)]
            if item_type in _SCALARS:
                self.pos += count * struct.calcsize(_SCALARS[item_type])
            elif item_type == _STRING:
                for _ in range(count):
                    self.skip_string()
            else:
                for _ in range(count):
                    self.value(item_type)
            if self.pos > len(self.buf):
                raise _Truncated
            return SkippedArray(count)
        raise ModelFileError(f"unknown GGUF value type {vtype}")


def _tensor_bytes(type_id: int, elements: int) -> int:
    block, size = GGML_QUANT_SIZES[GGMLQuantizationType(type_id)]
    return elements // block * size


def read_gguf(path: str | Path) -> GGUFInfo:
    """Inspect ``path``; raise :class:`ModelFileError` if it is not a usable GGUF file."""
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"Model file not found: {path}")
    if path.is_dir():
        raise ModelFileError(f"Model path is a folder, not a GGUF file: {path}")
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            if size < 24:
                head = f.read(4)
                if head != MAGIC[: len(head)] or not head:
                    raise ModelFileError(f"Not a GGUF model file: {path}")
                raise ModelFileError(f"The GGUF file is truncated ({size} bytes): {path}")
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
                return _parse(path, size, buf)
    except PermissionError as e:
        raise ModelFileError(f"Cannot read the model file (permission denied): {path}") from e
    except OSError as e:
        raise ModelFileError(f"Cannot read the model file: {path}: {e.strerror or e}") from e


def _parse(path: Path, size: int, buf: mmap.mmap) -> GGUFInfo:
    if buf[:4] != MAGIC:
        raise ModelFileError(f"Not a GGUF model file: {path}")
    r = _Reader(buf)
    r.pos = 4
    truncated = ModelFileError(
        f"The GGUF file is truncated ({size:,} bytes); the download may be incomplete: {path}"
    )
    try:
        version = r.take("<I")
        if version not in (2, 3):
            raise ModelFileError(f"Unsupported GGUF version {version}: {path}")
        n_tensors = r.take("<Q")
        n_kv = r.take("<Q")
        metadata: dict[str, Any] = {}
        for _ in range(n_kv):
            key = r.string()
            metadata[key] = r.value(r.take("<I"))
        params = 0
        data_size = 0
        types: dict[str, int] = {}
        layer_bytes: dict[int, int] = {}
        other_bytes = 0
        for _ in range(n_tensors):
            name = r.string()
            n_dims = r.take("<I")
            elements = 1
            for _ in range(n_dims):
                elements *= r.take("<Q")
            type_id = r.take("<I")
            offset = r.take("<Q")
            params += elements
            try:
                nbytes = _tensor_bytes(type_id, elements)
                data_size = max(data_size, offset + nbytes)
                type_name = GGMLQuantizationType(type_id).name
            except (ValueError, KeyError):
                raise ModelFileError(
                    f"The GGUF file uses a tensor type ({type_id}) this version does not know: {path}"
                ) from None
            types[type_name] = types.get(type_name, 0) + 1
            block = _BLOCK.match(name)
            if block:
                index = int(block.group(1))
                layer_bytes[index] = layer_bytes.get(index, 0) + nbytes
            else:
                other_bytes += nbytes
    except _Truncated:
        raise truncated from None
    alignment = int(metadata.get("general.alignment", 32)) or 32
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
        raise truncated
    return info

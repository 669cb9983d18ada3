"""Big qwen2 GGUF files with random Q4_K weights, written in seconds, for GPU timings.

The real QwQ-32B Q4_K_M (20 GB) cannot travel to a lent GPU machine, but its speed
depends on its shapes, not on what the weights say. So we write a file of the same
architecture and shapes (64 blocks, 5,120 wide, 27,648 feed-forward, 40 query and 8
KV heads, a 152k vocabulary, QwQ's chat template) whose Q4_K blocks are random bytes
with small scales: llama.cpp runs exactly the kernels it would run for QwQ, and the
activations stay finite (each weight's spread is about 1/sqrt(fan-in)). One random
array per tensor shape is shared by every block, so writing costs only the disk time.

The text it generates is noise, from a 152k vocabulary of filler pieces; the end
token is one of 152k, so a 256-token reply almost never stops early.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from gguf import GGMLQuantizationType, GGUFWriter, LlamaFileType, TokenType

from tests.fixtures.scripted_model import BYTE_CHARS, QWQ_TEMPLATE

Q4_K_BLOCK = 256  # weights per block
Q4_K_BYTES = 144  # d, dmin (f16 each), 12 bytes of 6-bit scales and mins, 128 of nibbles


@dataclass(frozen=True, slots=True)
class Shape:
    name: str
    n_layer: int
    n_embd: int
    n_head: int
    n_head_kv: int
    n_ff: int
    n_vocab: int
    context_length: int = 131_072

    @property
    def head_dim(self) -> int:
        return self.n_embd // self.n_head

    @property
    def parameters(self) -> int:
        kv = self.n_head_kv * self.head_dim
        block = 2 * self.n_embd * self.n_embd + 2 * kv * self.n_embd + 3 * self.n_embd * self.n_ff
        return self.n_layer * block + 2 * self.n_vocab * self.n_embd

    @property
    def file_bytes(self) -> int:
        """About what the file takes (Q4_K everywhere but the norms and biases)."""
        return self.parameters // Q4_K_BLOCK * Q4_K_BYTES


SHAPES = {
    # QwQ-32B (Qwen2.5-32B): what the app is for.
    "qwq32b": Shape("QwQ-32B-shaped", 64, 5120, 40, 8, 27648, 152_064),
    # Qwen2.5-1.5B: small enough for a CPU-against-GPU comparison in seconds.
    "qwen1.5b": Shape("Qwen2.5-1.5B-shaped", 28, 1536, 12, 2, 8960, 151_936),
    # For a quick run on a CPU-only machine.
    "tiny": Shape("tiny qwen2", 2, 256, 2, 1, 512, 2048),
}


def _q4k(rng: np.random.Generator, rows: int, cols: int) -> np.ndarray:
    """Random Q4_K rows: ``rows`` x ``cols`` weights of spread about 1/sqrt(cols)."""
    if cols % Q4_K_BLOCK:
        raise ValueError(f"Q4_K rows must be a multiple of {Q4_K_BLOCK} long, not {cols}")
    blocks = cols // Q4_K_BLOCK
    data = rng.integers(0, 256, size=(rows, blocks, Q4_K_BYTES), dtype=np.uint8)
    # A weight is d * scale * nibble - dmin * min, scales, mins 0..63 and nibbles 0..15:
    # dmin = 7.5 d centres it, and its spread is then about 240 d.
    d = 1.0 / (240.0 * np.sqrt(cols))
    data[:, :, 0:2] = np.frombuffer(np.float16(d).tobytes(), dtype=np.uint8)
    data[:, :, 2:4] = np.frombuffer(np.float16(7.5 * d).tobytes(), dtype=np.uint8)
    return data.reshape(rows, blocks * Q4_K_BYTES)


def _vocabulary(n_vocab: int) -> tuple[list[str], list[int], int, int]:
    """Byte tokens, QwQ's specials, then filler pieces: (tokens, types, eos, pad)."""
    tokens = [BYTE_CHARS[b] for b in range(256)]
    types = [int(TokenType.NORMAL)] * 256
    tokens.append(BYTE_CHARS[32] * 2)  # the one merge llama.cpp wants
    types.append(int(TokenType.NORMAL))
    for text, kind in (
        ("<|endoftext|>", TokenType.CONTROL),
        ("<|im_start|>", TokenType.CONTROL),
        ("<|im_end|>", TokenType.CONTROL),
        ("<think>", TokenType.USER_DEFINED),
        ("</think>", TokenType.USER_DEFINED),
    ):
        tokens.append(text)
        types.append(int(kind))
    eos, pad = tokens.index("<|im_end|>"), tokens.index("<|endoftext|>")
    space = BYTE_CHARS[32]
    i = 0
    while len(tokens) < n_vocab:
        tokens.append(f"{space}w{i}")
        types.append(int(TokenType.NORMAL))
        i += 1
    return tokens[:n_vocab], types[:n_vocab], eos, pad


def write_synthetic_model(path: Path, shape: Shape, seed: int = 0) -> Path:
    """Write a qwen2 GGUF of ``shape`` with random Q4_K weights to ``path``."""
    if shape.n_vocab < 300:
        raise ValueError("the vocabulary needs room for the bytes and the specials")
    rng = np.random.default_rng(seed)
    e, ff, kv = shape.n_embd, shape.n_ff, shape.n_head_kv * shape.head_dim
    tokens, types, eos, pad = _vocabulary(shape.n_vocab)

    writer = GGUFWriter(str(path), "qwen2")
    writer.add_name(shape.name)
    writer.add_file_type(LlamaFileType.MOSTLY_Q4_K_M)
    writer.add_context_length(shape.context_length)
    writer.add_embedding_length(e)
    writer.add_block_count(shape.n_layer)
    writer.add_feed_forward_length(ff)
    writer.add_head_count(shape.n_head)
    writer.add_head_count_kv(shape.n_head_kv)
    writer.add_rope_freq_base(1_000_000.0)
    writer.add_layer_norm_rms_eps(1e-6)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("qwen2")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges([f"{BYTE_CHARS[32]} {BYTE_CHARS[32]}"])
    writer.add_eos_token_id(eos)
    writer.add_pad_token_id(pad)
    writer.add_bos_token_id(pad)
    writer.add_add_bos_token(False)
    writer.add_chat_template(QWQ_TEMPLATE)

    q4k = GGMLQuantizationType.Q4_K
    ones = np.ones(e, dtype=np.float32)
    vocab_rows = _q4k(rng, shape.n_vocab, e)
    square = _q4k(rng, e, e)
    kv_rows = _q4k(rng, kv, e)
    up = _q4k(rng, ff, e)
    down = _q4k(rng, e, ff)
    writer.add_tensor("token_embd.weight", vocab_rows, raw_dtype=q4k)
    writer.add_tensor("output_norm.weight", ones)
    writer.add_tensor("output.weight", vocab_rows, raw_dtype=q4k)
    for n in range(shape.n_layer):
        p = f"blk.{n}."
        writer.add_tensor(p + "attn_norm.weight", ones)
        writer.add_tensor(p + "attn_q.weight", square, raw_dtype=q4k)
        writer.add_tensor(p + "attn_q.bias", np.zeros(e, dtype=np.float32))
        writer.add_tensor(p + "attn_k.weight", kv_rows, raw_dtype=q4k)
        writer.add_tensor(p + "attn_k.bias", np.zeros(kv, dtype=np.float32))
        writer.add_tensor(p + "attn_v.weight", kv_rows, raw_dtype=q4k)
        writer.add_tensor(p + "attn_v.bias", np.zeros(kv, dtype=np.float32))
        writer.add_tensor(p + "attn_output.weight", square, raw_dtype=q4k)
        writer.add_tensor(p + "ffn_norm.weight", ones)
        writer.add_tensor(p + "ffn_gate.weight", up, raw_dtype=q4k)
        writer.add_tensor(p + "ffn_up.weight", up, raw_dtype=q4k)
        writer.add_tensor(p + "ffn_down.weight", down, raw_dtype=q4k)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path

"""Tokenizing a prompt full of special-token texts in linear time.

llama.cpp splits a text at every special-token text it finds (``<|im_end|>``...) before it
tokenizes the pieces, and that split costs time proportional to the number of
occurrences times the length of the text: 40,000 ``<|im_end|>`` (400 KB) took 5.4 s and a
4 MB API body of them would hold the engine for minutes, where Stop cannot reach. Text
that holds that many is hostile (or a history far beyond any context), but it must
still be refused in bounded time.

So a prompt with more than ``PER_CALL`` occurrences is tokenized in pieces, each cut
just before an occurrence, with at most ``PER_CALL`` occurrences a piece. llama.cpp
treats every occurrence as a boundary and tokenizes the text between two of them on its
own, so the pieces give exactly the tokens of the whole: a piece starts with a special
token (after which a SentencePiece vocabulary adds its space prefix in both cases), and
no cut is made before a token that strips the whitespace in front of it (``LSTRIP``).
Ordinary prompts (a few occurrences per message) are tokenized in one call as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

import llama_cpp

PER_CALL = 256  # special-token texts per llama.cpp call, at most (about)
_SPECIAL = llama_cpp.LLAMA_TOKEN_ATTR_CONTROL | llama_cpp.LLAMA_TOKEN_ATTR_USER_DEFINED

Tokenize = Callable[[str, bool], list[int]]  # (text, add_bos) -> tokens


class SpecialTexts:
    """Where a vocabulary's special-token texts occur in a text, in one regex pass."""

    def __init__(self, texts: Iterable[str], no_cut_before: Iterable[str] = ()) -> None:
        self.texts = sorted({t for t in texts if t}, key=len, reverse=True)
        self._no_cut = frozenset(no_cut_before)
        self._pattern = re.compile(_trie_pattern(self.texts)) if self.texts else None

    @classmethod
    def of_vocab(cls, vocab: object) -> SpecialTexts:
        """The control and user-defined tokens of a loaded llama.cpp vocabulary."""
        texts: list[str] = []
        lstrip: list[str] = []
        for token in range(llama_cpp.llama_vocab_n_tokens(vocab)):
            attr = llama_cpp.llama_vocab_get_attr(vocab, token)
            if attr & _SPECIAL:
                text = llama_cpp.llama_vocab_get_text(vocab, token).decode("utf-8", "replace")
                texts.append(text)
                if attr & llama_cpp.LLAMA_TOKEN_ATTR_LSTRIP:
                    lstrip.append(text)
        return cls(texts, lstrip)

    def cuts(self, text: str) -> list[int]:
        """Where to cut ``text`` so that no piece holds more than ``PER_CALL`` occurrences
        (empty when the text holds no more than that)."""
        if self._pattern is None:
            return []
        found = 0
        cuts: list[int] = []
        since = 0
        for match in self._pattern.finditer(text):
            found += 1
            since += 1
            if since > PER_CALL and match.group() not in self._no_cut:
                cuts.append(match.start())
                since = 1
        return cuts if found > PER_CALL else []


def tokenize_in_pieces(
    text: str, add_bos: bool, specials: SpecialTexts, tokenize: Tokenize
) -> list[int]:
    """``tokenize(text, add_bos)``, in pieces when the text holds many special-token texts."""
    cuts = specials.cuts(text)
    if not cuts:
        return tokenize(text, add_bos)
    tokens: list[int] = []
    start = 0
    for i, end in enumerate([*cuts, len(text)]):
        tokens += tokenize(text[start:end], add_bos and i == 0)
        start = end
    return tokens


def _trie_pattern(texts: list[str]) -> str:
    """One regex that matches any of ``texts``, longest first, built as a trie so that
    thousands of texts (gemma has 6,414) cost a few steps per character, not thousands."""
    trie: dict[str, dict] = {}  # type: ignore[type-arg]
    for text in texts:
        node = trie
        for ch in text:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:  # type: ignore[type-arg]
        ends = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if ends else body

    return build(trie)

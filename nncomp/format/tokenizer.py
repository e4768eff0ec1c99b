"""Text preprocessing: a byte-pair dictionary learnt from the input and stored with it (NNCP style).

On text, coding subword symbols instead of bytes means fewer steps (English averages ~2.5 bytes
per symbol with ~1,000 symbols), so the network runs faster per byte, sees a longer context per
step, and learns from more bytes per Adam update. The dictionary is learnt from the very data it
codes and travels in the archive as its list of merges; the decoder only expands symbols into
bytes, so the split into symbols never has to be reproduced bit for bit.

Merges never cross the boundaries of "words" (a letter run with its leading space, a digit run,
a punctuation run, a whitespace run), as GPT-2's tokenizer does: the learnt symbols are then
whole words and word pieces, which is what pays on text.

Before the merges are learnt, case may be folded (NNCP and cmix do the same): "The" becomes an
escape byte and "the", "NAME" another escape and "name", so that a word has one symbol, and what
the network learns of it serves every spelling. The escapes are two byte values the input does
not contain, stored with the dictionary; the decoder only has to upper-case after them.
"""
from __future__ import annotations

import heapq
import lzma
import re
import struct
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..errors import CorruptDataError

MAX_SYMBOL_LEN = 24  # bytes: longer symbols are rare and would only grow the dictionary
MIN_PAIR_COUNT = 8  # a merge seen fewer times costs more in the dictionary than it saves
_WORDS = re.compile(rb" ?[A-Za-z]+| ?[0-9]+| ?[^A-Za-z0-9\s]+|\s+(?!\S)|\s+")
_MERGE = np.dtype("<u2")
_SECTION = struct.Struct("<QI")  # symbol count, compressed merge-list length


def looks_like_text(data: bytes) -> bool:
    """Hardly any control bytes and mostly ASCII (UTF-8 letters allowed): binary data is left
    as bytes, where words do not exist and a dictionary only costs."""
    sample = np.frombuffer(data[:1 << 20], np.uint8)
    if len(sample) == 0:
        return False
    control = ((sample < 32) & (sample != 9) & (sample != 10) & (sample != 13)) | (sample == 127)
    return float(control.mean()) <= 0.01 and float((sample < 128).mean()) >= 0.5


@dataclass(frozen=True)
class Dictionary:
    """Symbol 256 + i is the concatenation of merges[i]'s two symbols; the symbols spell the
    input with its case folded when `case` holds the two escape bytes (fold_case)."""
    merges: np.ndarray  # [M, 2] uint16
    case: bytes = b""  # escapes of a capitalised and an upper-case word; b"" = case kept

    @property
    def vocab(self) -> int:
        return 256 + len(self.merges)

    def symbol_bytes(self) -> list[bytes]:
        table = [bytes([b]) for b in range(256)]
        for a, b in self.merges.tolist():
            table.append(table[a] + table[b])
        return table

    def decode(self, symbols: np.ndarray, length: int) -> bytes:
        """The bytes of symbols; CorruptDataError unless they total exactly length bytes."""
        table = self.symbol_bytes()
        sizes = np.fromiter((len(t) for t in table), np.int64, len(table))
        # An escape always precedes a letter it does not replace: folding at most doubles.
        expanded = int(sizes[symbols].sum())
        if not (length <= expanded <= 2 * length if self.case else expanded == length):
            raise CorruptDataError("the symbols do not expand to the frame's length")
        data = _expand(np.frombuffer(b"".join(table), np.uint8), sizes, symbols).tobytes()
        if self.case:
            data = unfold_case(data, self.case)
            if len(data) != length:
                raise CorruptDataError("the symbols do not expand to the frame's length")
        return data

    def encode(self, data: bytes) -> Optional[np.ndarray]:
        """data spelt with these merges (learnt from other data): each word's symbols joined by
        the merge of lowest rank first, until none applies. None where data holds one of the
        case escapes (it cannot be folded with them)."""
        if self.case:
            if any(e in data for e in self.case):
                return None
            data = fold_case(data, self.case)[0]
        rank = {(int(a), int(b)): i for i, (a, b) in enumerate(self.merges.tolist())}
        pieces = _WORDS.findall(data)
        words = list(dict.fromkeys(pieces))
        seqs = [_apply(list(w), rank) for w in words]
        index = {w: i for i, w in enumerate(words)}
        ids = np.fromiter(map(index.__getitem__, pieces), np.int64, len(pieces))
        sizes = np.fromiter(map(len, seqs), np.int64, len(seqs))
        flat = np.fromiter((x for s in seqs for x in s), np.uint16, int(sizes.sum()))
        return _expand(flat, sizes, ids)

    def to_section(self, n_symbols: int) -> bytes:
        """The dictionary section of a model frame's payload (docs/FORMAT.md)."""
        packed = lzma.compress(self.merges.astype(_MERGE).tobytes(), format=lzma.FORMAT_RAW,
                               filters=_FILTERS)
        return _SECTION.pack(n_symbols, len(packed)) + packed + self.case

    @classmethod
    def from_section(cls, payload: bytes, vocab: int,
                     case: bool = False) -> tuple["Dictionary", int, int]:
        """Parse and validate a section (with its two case escapes when `case`); returns the
        dictionary, the symbol count and the section's size in bytes."""
        if len(payload) < _SECTION.size:
            raise CorruptDataError("payload too short for its dictionary section")
        n_symbols, size = _SECTION.unpack_from(payload)
        end = _SECTION.size + size
        if end > len(payload):
            raise CorruptDataError("dictionary section runs past the payload's end")
        want = (vocab - 256) * _MERGE.itemsize * 2
        d = lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=_FILTERS)
        try:
            raw = d.decompress(bytes(payload[_SECTION.size:end]), max_length=want + 1)
        except lzma.LZMAError:
            raise CorruptDataError("dictionary does not decode") from None
        if len(raw) != want or not d.eof or d.unused_data:
            raise CorruptDataError("dictionary has the wrong size")
        merges = np.frombuffer(raw, _MERGE).astype(np.uint16).reshape(-1, 2)
        # A merge may only join symbols defined before it: no cycles, every symbol finite.
        if len(merges) and (merges.max(axis=1) >= 256 + np.arange(len(merges))).any():
            raise CorruptDataError("dictionary refers to symbols not yet defined")
        # The encoder never makes a symbol longer than MAX_SYMBOL_LEN bytes; merges that double
        # a symbol's length 40 times over would otherwise spell terabytes (symbol_bytes).
        sizes = np.ones(256 + len(merges), np.int64)
        for i, (a, b) in enumerate(merges.tolist()):
            sizes[256 + i] = sizes[a] + sizes[b]
            if sizes[256 + i] > MAX_SYMBOL_LEN:
                raise CorruptDataError(f"dictionary symbol {256 + i} is longer than "
                                       f"{MAX_SYMBOL_LEN} bytes")
        escapes = bytes(payload[end:end + 2 * case])
        if len(escapes) != 2 * case or (case and escapes[0] == escapes[1]):
            raise CorruptDataError("dictionary section lacks two distinct case escapes")
        return cls(merges, escapes), n_symbols, end + len(escapes)


_FILTERS = [{"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME, "dict_size": 1 << 20}]


def _expand(flat: np.ndarray, sizes: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """flat holds items of sizes[0], sizes[1], ... back to back: the items ids[0], ids[1], ...
    concatenated, without a Python loop."""
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])[ids]
    sizes = sizes[ids]
    ends = np.cumsum(sizes)
    offsets = np.arange(int(ends[-1]) if len(ends) else 0) - np.repeat(ends - sizes, sizes)
    return flat[np.repeat(starts, sizes) + offsets]


_LETTERS = re.compile(rb"( ?)([A-Za-z]+)")


def _apply(s: list[int], rank: dict[tuple[int, int], int]) -> list[int]:
    """A word's bytes s as symbols: the pair of lowest rank merged, again and again (the order
    _learn made them in, so a word of the data they were learnt from comes out the same)."""
    while len(s) > 1:
        best = min((rank.get(p, len(rank)), i) for i, p in enumerate(zip(s, s[1:])))
        if best[0] == len(rank):
            return s
        s = _replace(s, tuple(s[best[1]:best[1] + 2]), 256 + best[0])  # type: ignore[arg-type]
    return s


def fold_case(data: bytes, escapes: bytes = b"") -> tuple[bytes, bytes]:
    """data with capitalised words ("The") spelt as escape E0 + "the" and upper-case ones
    ("NAME", two letters or more) as E1 + "name"; returns it and E0 E1: `escapes` where given
    (two bytes data lacks), else the two smallest byte values data lacks (b"" and data itself
    when it has no two to spare). The escape goes before the word's leading space, so that
    " the" stays one word of the dictionary.

    Every such word is folded, names and tags included: folding only words whose lower-case
    spelling is at least as frequent gave 1.985 bits/byte on the first 2 MB of dickens where
    folding all gave 1.970 (1.998 unfolded; preset fast, experiments/case-fold)."""
    if not escapes:  # else given: bytes data lacks
        free = sorted(set(range(256)) - set(data))
        if len(free) < 2:
            return data, b""
        escapes = bytes(free[:2])
    cap, upper = escapes[:1], escapes[1:]

    def fold(m: re.Match) -> bytes:
        space, word = m.groups()
        low = word.lower()
        if word == low:
            return m[0]
        if word[1:] == low[1:]:
            return cap + space + low
        return upper + space + low if word.isupper() else m[0]

    return _LETTERS.sub(fold, data), escapes


def unfold_case(data: bytes, escapes: bytes) -> bytes:
    """The inverse of fold_case: the letter after E0 (and a space) upper-cased, and the letter
    run after E1 (and a space)."""
    cap, upper = (re.escape(escapes[i:i + 1]) for i in range(2))
    data = re.sub(cap + rb"( ?)([a-z])", lambda m: m[1] + m[2].upper(), data)
    return re.sub(upper + rb"( ?)([a-z]+)", lambda m: m[1] + m[2].upper(), data)


def build(data: bytes, max_merges: int, case: bool = False) -> tuple[Dictionary, np.ndarray]:
    """Learn up to max_merges merges from data (its case folded first if `case` and fold_case
    finds escapes); returns the dictionary and the symbols."""
    escapes = b""
    if case:
        data, escapes = fold_case(data)
    pieces = _WORDS.findall(data)
    counts = Counter(pieces)
    words = list(counts)  # first-seen order: deterministic for the same data
    seqs = [list(w) for w in words]
    freq = [counts[w] for w in words]
    merges = _learn(seqs, freq, max_merges)
    # seqs now holds each distinct word's symbols; lay them out for the whole input.
    index = {w: i for i, w in enumerate(words)}
    ids = np.fromiter(map(index.__getitem__, pieces), np.int64, len(pieces))
    sizes = np.fromiter(map(len, seqs), np.int64, len(seqs))
    flat = np.fromiter((x for s in seqs for x in s), np.uint16, int(sizes.sum()))
    return (Dictionary(np.array(merges, np.uint16).reshape(-1, 2), escapes),
            _expand(flat, sizes, ids))


def _learn(seqs: list[list[int]], freq: list[int], max_merges: int) -> list[tuple[int, int]]:
    """Byte-pair merges, most frequent pair first (ties: the smaller pair), rewriting seqs."""
    pair_count: dict[tuple[int, int], int] = defaultdict(int)
    where: dict[tuple[int, int], set[int]] = defaultdict(set)
    for wi, s in enumerate(seqs):
        for p in zip(s, s[1:]):
            pair_count[p] += freq[wi]
            where[p].add(wi)
    heap = [(-c, p) for p, c in pair_count.items()]
    heapq.heapify(heap)
    size = [1] * 256
    merges: list[tuple[int, int]] = []
    while heap and len(merges) < max_merges:
        c, p = heapq.heappop(heap)
        if -c != pair_count.get(p, 0):
            continue  # stale entry: the pair's count changed since it was pushed
        if -c < MIN_PAIR_COUNT:
            break
        if size[p[0]] + size[p[1]] > MAX_SYMBOL_LEN:
            continue
        new = 256 + len(merges)
        merges.append(p)
        size.append(size[p[0]] + size[p[1]])
        # Only pairs whose count changes are re-queued: most of a word's pairs lose and regain
        # the same count, and their queued entries stay valid.
        delta: dict[tuple[int, int], int] = defaultdict(int)
        for wi in where.pop(p):
            s, f = seqs[wi], freq[wi]
            for q in zip(s, s[1:]):
                delta[q] -= f
            seqs[wi] = s = _replace(s, p, new)
            for q in zip(s, s[1:]):
                delta[q] += f
                if new in q:  # every other pair of s was in the word before: wi is listed
                    where[q].add(wi)
        pair_count.pop(p, None)
        delta.pop(p, None)
        for q, d in delta.items():
            if d:
                pair_count[q] += d
                if pair_count[q] > 0:
                    heapq.heappush(heap, (-pair_count[q], q))
    return merges


def _replace(s: list[int], p: tuple[int, int], new: int) -> list[int]:
    a, b = p
    out, i, n = [], 0, len(s)
    while i < n:
        x = s[i]
        if x == a and i + 1 < n and s[i + 1] == b:
            out.append(new)
            i += 2
        else:
            out.append(x)
            i += 1
    return out

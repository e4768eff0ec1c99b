"""The text dictionary (nncomp/format/tokenizer.py): learning, the stored section, and its use by the codec."""
from __future__ import annotations

import dataclasses
import struct
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nncomp
from nncomp import api, frame, presets
from nncomp.format import container, tokenizer
from nncomp.errors import CorruptDataError
from conftest import ALICE, TEXT, shared_file, small_text_archive



def test_symbols_expand_to_the_input_and_merge_words():
    d, sym = tokenizer.build(TEXT, 200)
    assert d.decode(sym, len(TEXT)) == TEXT
    # every word (with its space) and punctuation run is one symbol, but the first "It" (seen once)
    assert len(sym) == 21 * 60 + 1
    table = d.symbol_bytes()
    assert b" times" in table and max(map(len, table)) <= tokenizer.MAX_SYMBOL_LEN
    # merges never cross a word boundary: no symbol holds a letter after a space after a letter
    assert not any(len(t.split()) > 1 for t in table)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([b"a", b"b", b" ", b"\n", b"1", b".", b"\xc3\xa9", b"\x00"]),
                max_size=400).map(b"".join), st.integers(0, 300))
def test_any_input_round_trips(data, merges):
    d, sym = tokenizer.build(data, merges)
    assert d.vocab <= 256 + merges and (sym < d.vocab).all()
    assert d.decode(sym, len(data)) == data
    d2, n, end = tokenizer.Dictionary.from_section(d.to_section(len(sym)) + b"rest", d.vocab)
    assert n == len(sym) and (d2.merges == d.merges).all() and end == len(d.to_section(len(sym)))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([b"a", b"A", b"b", b"B", b" ", b"  ", b"\n", b"Ab", b"AB", b"ab",
                                 b"McD", b"\x00", b"\x01", b"\x02", b"\xc3\x89", b"."]),
                max_size=200).map(b"".join))
def test_folding_case_is_undone_exactly(data):
    folded, escapes = tokenizer.fold_case(data)
    assert tokenizer.unfold_case(folded, escapes) == data if escapes else folded == data
    assert len(data) <= len(folded) <= 2 * len(data) and not set(escapes) & set(data)


def test_folding_case_shares_a_words_symbol_between_spellings():
    text = b"The cat saw the dog. THE END. McDonald met Pickwick; the end came. " * 40
    folded, (cap, upper) = tokenizer.fold_case(text)
    assert folded.count(bytes([cap]) + b"the cat") == 1 and folded.count(bytes([cap])) == 80
    assert folded.count(bytes([upper]) + b" end") == 40 and b" McDonald" in folded  # mixed: kept
    d, sym = tokenizer.build(text, 100, case=True)
    assert d.case == bytes([cap, upper]) and d.decode(sym, len(text)) == text
    section = d.to_section(len(sym))
    d2, n, end = tokenizer.Dictionary.from_section(section + b"rest", d.vocab, case=True)
    assert d2.case == d.case and end == len(section)
    with pytest.raises(CorruptDataError, match="case escapes"):
        tokenizer.Dictionary.from_section(section[:-1], d.vocab, case=True)
    with pytest.raises(CorruptDataError, match="length"):
        d.decode(sym, len(text) - 1)
    every_byte = bytes(range(256)) + text
    assert tokenizer.fold_case(every_byte) == (every_byte, b"")  # no byte to spare: case kept


def test_the_dictionary_is_deterministic():
    a, sa = tokenizer.build(TEXT, 100)
    b, sb = tokenizer.build(TEXT, 100)
    assert (a.merges == b.merges).all() and (sa == sb).all()


def test_text_detection():
    assert tokenizer.looks_like_text(TEXT)
    assert tokenizer.looks_like_text("Grüße aus Köln, naïve café. ".encode() * 50)
    assert not tokenizer.looks_like_text(bytes(range(256)) * 50)
    assert not tokenizer.looks_like_text(b"")


def _section(merges: np.ndarray, n_symbols: int = 10) -> bytes:
    return tokenizer.Dictionary(merges.astype(np.uint16)).to_section(n_symbols)


@pytest.mark.parametrize("payload, vocab, why", [
    (_section(np.array([[97, 98], [256, 300]])), 258, "not yet defined"),  # a cycle / forward ref
    (_section(np.array([[97, 98]])), 258, "wrong size"),  # fewer merges than the vocabulary says
    (_section(np.array([[97, 98]]))[:-1], 257, "past the payload"),
    (b"\x00" * 5, 257, "too short"),
    (struct.pack("<QI", 1, 3) + b"abc", 257, "does not decode"),
])
def test_hostile_sections_are_refused(payload, vocab, why):
    with pytest.raises(CorruptDataError, match=why):
        tokenizer.Dictionary.from_section(payload, vocab)


def test_decode_refuses_symbols_of_the_wrong_total_length():
    d, sym = tokenizer.build(TEXT, 50)
    with pytest.raises(CorruptDataError, match="length"):
        d.decode(sym, len(TEXT) + 1)


@mock.patch.object(frame, "MIN_TEXT_LENGTH", 1 << 14)  # a smaller text than the real threshold
def test_the_codec_uses_a_dictionary_for_text_only():
    text = ALICE.read_bytes()[:30000]
    blob, info = api.compress_info(text, "test", fallback=False)
    assert 256 < info.config.vocab <= presets.get("test").text_vocab
    assert nncomp.info(blob)[0].config["vocab"] == info.config.vocab
    assert nncomp.decompress(blob) == text
    binary = shared_file("canterbury/kennedy.xls").read_bytes()[:60000]
    assert frame.dictionary_size(presets.get("test"), binary) == 0
    assert frame.dictionary_size(presets.get("test"), text[:frame.MIN_TEXT_LENGTH - 1]) == 0
    assert frame.dictionary_size(presets.get("test"), text) == min(
        presets.get("test").text_vocab - 256, len(text) // frame.BYTES_PER_MERGE)
    no_dict = dataclasses.replace(presets.get("test"), text_vocab=0)
    assert api.compress_info(text, config=no_dict, fallback=False)[1].config.vocab == 256


@mock.patch.object(frame, "MIN_TEXT_LENGTH", 1 << 14)
def test_the_codec_folds_case_when_the_config_asks():
    text = ALICE.read_bytes()[:30000]
    cfg = dataclasses.replace(presets.get("test"), text_case=True)
    blob, info = api.compress_info(text, config=cfg, fallback=False)
    frame = container.read_frame(blob, 0)[0]
    assert info.config.text_case and nncomp.info(blob)[0].config["text_case"]
    assert len(frame.dictionary.case) == 2 and nncomp.decompress(blob) == text
    assert blob != api.compress_info(text, config=dataclasses.replace(cfg, text_case=False),
                                     fallback=False)[0]
    # No dictionary (too short), no folding: the header says so.
    short = api.compress_info(text[:1000], config=cfg, fallback=False)[1]
    assert short.config.vocab == 256 and not short.config.text_case
    # A header that claims folding without a dictionary is refused.
    bad = container.write_model(len(text), frame.crc32, "test",
                                dataclasses.replace(frame.config, vocab=256), frame.fingerprint,
                                frame.data)
    with pytest.raises(CorruptDataError, match="case folding"):
        nncomp.decompress(bad)


def test_length_that_the_symbols_cannot_hold_is_refused():
    blob = small_text_archive()
    assert nncomp.decompress(blob) == TEXT
    frame = container.read_frame(blob, 0)[0]
    for length in (frame.symbols - 1, frame.symbols * tokenizer.MAX_SYMBOL_LEN + 1):
        bad = container.write_model(length, frame.crc32, "test", frame.config, frame.fingerprint,
                                    frame.dictionary.to_section(frame.symbols) + frame.data)
        with pytest.raises(CorruptDataError, match="symbol count"):
            nncomp.decompress(bad)

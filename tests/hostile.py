"""Well-formed hostile archives: valid checksums around values no honest encoder writes.

    python tests/hostile.py [N] [SEED] [PART/PARTS]   # JSON lines on stdout, one per case

The cases: the rows of issue #35 (a huge network trained on every symbol, buffers of terabytes,
a length of 10^9 behind a 3 kB payload, a dictionary whose symbols double, a thread count of
256), every bounded config field at its bounds and one past them, and N more drawn at random
(a field in or out of its bounds, a length scaled by a power of two, streams, dictionaries).
Run as a script, it decodes each case under a 4 GiB address-space cap (RLIMIT_AS) and prints
its outcome: "ok" (decoded to the original), or the error's class and message, with the CPU
seconds and the peak memory the case took. tests/test_hostile.py runs it in the suite;
scripts/fuzz_slow.sh with thousands of random cases.
"""
from __future__ import annotations

import json
import random
import resource
import struct
import sys
import time
import zlib
from pathlib import Path
from typing import Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

AS_CAP = 4 << 30
TEXT = b"It was the best of times, it was the worst of times, it was the age of wisdom. " * 60


def split(blob: bytes) -> tuple[dict, bytes]:
    """A one-frame model archive's header (as JSON) and payload."""
    from nncomp.format import container
    (hlen,) = struct.unpack_from("<I", blob, 6)
    h = json.loads(container._inflate_header(blob[10:10 + hlen]))
    plen, = struct.unpack_from("<Q", blob, 10 + hlen + 4)
    start = 10 + hlen + 16
    return h, blob[start:start + plen]


def join(h: dict, payload: bytes) -> bytes:
    """A model frame of header h and payload, every checksum right."""
    from nncomp.format import container
    z = zlib.compressobj(9, zlib.DEFLATED, -15, zdict=container.HEADER_ZDICT)
    raw = z.compress(json.dumps(h, sort_keys=True, separators=(",", ":")).encode()) + z.flush()
    crc = zlib.crc32
    return (container.MAGIC + bytes([container.FORMAT_VERSION, container.KIND_MODEL])
            + struct.pack("<I", len(raw)) + raw
            + struct.pack("<IQI", crc(raw) & 0xFFFFFFFF, len(payload), crc(payload) & 0xFFFFFFFF)
            + payload)


def _dictionary_payload(merges: list[tuple[int, int]], n_symbols: int, rest: bytes) -> bytes:
    """A payload whose dictionary section holds `merges` (tokenizer.Dictionary.to_section)."""
    import numpy as np

    from nncomp.format.tokenizer import Dictionary
    return Dictionary(np.array(merges, np.uint16).reshape(-1, 2)).to_section(n_symbols) + rest


def base() -> tuple[bytes, dict, bytes]:
    """The archive every case edits: TEXT with the test preset's model frame."""
    import nncomp
    blob = nncomp.compress(TEXT, "test", fallback=False)
    h, payload = split(blob)
    return blob, h, payload


def _with(h: dict, **changes) -> dict:
    h = json.loads(json.dumps(h))
    for k, v in changes.items():
        where, _, key = k.partition("__")
        (h[where] if key else h)[key or where] = v
    return h


# A float-engine (engine 2) fingerprint, for the rows about what only it records.
FLOAT_FINGERPRINT = {"engine": 2, "nncomp": "0.1.0", "torch": "2.13.0+cpu", "constriction": "0.5.0",
                     "device": "cpu", "gpu": "", "cpu": "AMD EPYC", "cpu_capability": "AVX2",
                     "isa": "avx2,fma", "dtype": "float32", "threads": 2}


def _float_engine(h: dict, **fingerprint) -> dict:
    """h as the float engine writes it: config exact false, a full fingerprint."""
    h = _with(h, config__exact=False)
    h["fingerprint"] = {**FLOAT_FINGERPRINT, **fingerprint}
    return h


def issue_rows(h: dict, payload: bytes) -> Iterator[tuple[str, bytes]]:
    """The rows of issue #35's table, as well-formed frames."""
    big = bytes(16_000)
    yield "lstm-H3900-bptt1-B1", join(_with(h, config__hidden=3900, config__bptt=1,
                                            config__streams=1), big)
    yield "lstm-H3900-threads256", join(_float_engine(
        _with(h, config__hidden=3900, config__bptt=1, config__streams=1), threads=256), big)
    yield "vocab65536-B4096-bptt4096", join(
        _with(h, config__vocab=65536, config__streams=4096, config__bptt=4096,
              config__text_vocab=65536, length=2 * 4096 * 4096),
        _dictionary_payload([(32, 32)] * (65536 - 256), 4096 * 4096, big))
    yield "transformer-M65536-B4096-L16", join(
        _float_engine(_with(h, config__arch="transformer", config__embed=64, config__hidden=64,
                            config__heads=4, config__memory=65536, config__streams=4096,
                            config__layers=16, length=10**7)), big)
    yield "context6-B4096-bptt4096", join(_with(h, config__context=6, config__streams=4096,
                                                config__bptt=4096, length=10**7), big)
    yield "length-1e9-payload-3k", join(_with(h, length=10**9), bytes(3000))
    yield "length-2e8-payload-800", join(_with(h, length=2 * 10**8), bytes(800))
    doubling = [(256 + i - 1 if i else 97, 256 + i - 1 if i else 97) for i in range(48)]
    yield "dictionary-doubling", join(
        _with(h, config__vocab=256 + 48, config__text_vocab=512, length=4000),
        _dictionary_payload(doubling, 1000, payload))
    yield "threads256-legit", join(_float_engine(h, threads=256), payload)  # a LimitError
    # 4096 warm chains of a 4-million-parameter network: the decoder would keep 4096 networks.
    yield "warm4096-H1000", join(_with(h, config__warm=4096, config__hidden=1000),
                                 bytes(5) + payload)


def bound_cases(h: dict, payload: bytes) -> Iterator[tuple[str, bytes]]:
    """Every bounded config field at its bounds and one past them."""
    from nncomp.config import BOUNDS
    for field, (lo, hi) in BOUNDS.items():
        for v in sorted({lo, hi, lo - 1, hi + 1}):
            yield f"{field}={v}", join(_with(h, **{f"config__{field}": v}), payload)


def random_cases(h: dict, payload: bytes, n: int, seed: int) -> Iterator[tuple[str, bytes]]:
    """n cases: a field anywhere in or just past its bounds, a length scaled by 2^k, a stream
    count, or a dictionary of random (earlier-defined) merges."""
    from nncomp.config import BOUNDS
    rng = random.Random(seed)
    fields = sorted(BOUNDS)
    for i in range(n):
        kind = rng.choice(["field", "field", "length", "streams", "dictionary"])
        if kind == "field":
            f = rng.choice(fields)
            lo, hi = BOUNDS[f]
            v = rng.choice([rng.randint(lo, hi), lo - 1, hi + 1, rng.randint(lo, min(hi, lo + 64))])
            yield f"random{i}-{f}={v}", join(_with(h, **{f"config__{f}": v}), payload)
        elif kind == "length":
            k = rng.randint(-8, 40)
            n_ = max(0, int(h["length"] * 2.0**k))
            yield f"random{i}-length={n_}", join(_with(h, length=n_), payload)
        elif kind == "streams":
            b = rng.choice([1, 2, rng.randint(1, 4096), 4096])
            yield f"random{i}-streams={b}", join(_with(h, config__streams=b), payload)
        else:
            m = rng.randint(1, 300)
            merges = [(rng.randrange(256 + j), rng.randrange(256 + j)) for j in range(m)]
            yield f"random{i}-dictionary{m}", join(
                _with(h, config__vocab=256 + m, config__text_vocab=4096,
                      length=rng.choice([len(TEXT), 10**6, 10**9])),
                _dictionary_payload(merges, rng.choice([100, len(TEXT), 10**6]), payload))


def run_case(blob: bytes, expected: bytes) -> dict:
    """Decode one case in this process; its outcome, CPU seconds and peak RSS growth."""
    import nncomp
    t0 = time.process_time()
    try:
        out = nncomp.decompress(blob)
        outcome = "ok" if out == expected else "WRONG OUTPUT"
        error = ""
    except nncomp.NNCompError as e:
        outcome, error = type(e).__name__, str(e)
    except BaseException as e:  # anything else is a defect: reported, not raised
        outcome, error = "UNDOCUMENTED " + type(e).__name__, str(e)[:300]
    return {"outcome": outcome, "error": error, "cpu_s": round(time.process_time() - t0, 3),
            "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    part, parts = map(int, (sys.argv[3] if len(sys.argv) > 3 else "0/1").split("/"))
    resource.setrlimit(resource.RLIMIT_AS, (AS_CAP, AS_CAP))
    blob, h, payload = base()
    cases = [("unchanged", blob), *issue_rows(h, payload), *bound_cases(h, payload),
             *random_cases(h, payload, n, seed)]
    for name, case in cases[part::parts]:  # every PARTS-th case: PARTS processes share them
        print(json.dumps({"case": name, **run_case(case, TEXT)}), flush=True)


if __name__ == "__main__":
    main()

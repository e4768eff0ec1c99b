"""Records the probability each coded symbol had (after sse, as coded), in coding order:
    python true_probs.py PRESET BYTES STREAMS OUT.npy [KEY=VALUE ...]
on the first BYTES of silesia/dickens, found as `nncomp bench --corpus dickens` finds it."""
# Written against the package's layout of commit c1066f1 (it drives the engine's internals, which
# have moved since): run it from a checkout of that commit, where it lived under
# experiments/.
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[3]
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]
from nncomp import api, coder, corpora, engine, presets  # noqa: E402
from profile_engine import override  # noqa: E402

preset, nbytes, B, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
data = corpora.resolve("dickens").files[0][1].read_bytes()[:nbytes]
cfg = override(dataclasses.replace(presets.get(preset), streams=B), sys.argv[5:])
cfg, symbols, _ = api.prepare(data, cfg, "cpu")
seen = []
encode = coder.Encoder.code


def code(self, symbols, probs):
    seen.append(probs[np.arange(len(symbols)), symbols.astype(np.int64)].astype(np.float64))
    return encode(self, symbols, probs)


coder.Encoder.code = code
t0 = time.time()
engine.encode(symbols, cfg, 2)
p = np.concatenate(seen)
np.save(out, p)
print(preset, sys.argv[5:], "V", cfg.vocab, "B", cfg.streams, "bits/byte",
      -np.log2(p).sum() / len(data), "time", time.time() - t0)

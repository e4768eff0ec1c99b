"""Records what `sse` (nncomp/sse.py) sees at each coded symbol, in coding order, so that other
secondary estimators can be replayed offline (replay.py): sse only post-processes the network's
output and training takes the probabilities from before it, so the network's run is the same
whatever sse does.

    python record.py PRESET FILE BYTES OUT.npz [KEY=VALUE ...]

Per coded symbol: the row it belongs to, its stream, the network's top symbol and probability,
the coded symbol's and the match-predicted symbol's probability before sse, the coded symbol's
after sse (as coded), the match features, the two previous symbols of its stream and the top
candidate and bucket of each order of context statistics.
"""
# Written against the package's layout of commit 6b82dd2 (it drives the engine's internals, which
# have moved since): run it from a checkout of that commit, where it lived under
# experiments/.
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[3]
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]
from nncomp import api, context, engine, presets  # noqa: E402
from profile_engine import override  # noqa: E402

preset, path, nbytes, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
data = Path(path).read_bytes()[:nbytes]
cfg = override(presets.get(preset), sys.argv[5:])
cfg, symbols, _ = api.prepare(data, cfg, "cpu")
cols: dict[str, list] = {k: [] for k in ("row", "stream", "top", "p_top", "p_sym", "p_pred", "p_coded",
                                         "sym", "pred", "bucket", "prev1", "prev2", "cand", "cbkt")}
last_ctx: dict = {}


class RecordingContext(context.ContextModel):
    def features(self, rows):
        f = super().features(rows)
        if not isinstance(rows, slice):  # the row about to be predicted (not a training block)
            last_ctx["cand"] = f[0][:, ::context.TOP].copy()  # [B, orders]: each order's top candidate
            last_ctx["cbkt"] = f[1][:, ::context.TOP].copy()
            last_ctx["prev1"] = self.tok[rows - 1].astype(np.int64)
            last_ctx["prev2"] = self.tok[max(rows - 2, 0)].astype(np.int64)
        return f


class RecordingSSE(engine.SecondaryEstimate):
    rows = 0

    def adjust(self, probs, pred=None, bucket=None):
        self._pre = probs.copy()
        self._pred = pred.astype(np.int64).copy()
        self._bucket = bucket.astype(np.int64).copy()
        super().adjust(probs, pred, bucket)
        self._post = probs

    def update(self, sym):
        k, s = len(sym), sym.astype(np.int64)
        i = np.arange(k)
        V = self._pre.shape[1]
        cols["row"].append(np.full(k, RecordingSSE.rows, np.int32))
        RecordingSSE.rows += 1
        cols["stream"].append(i.astype(np.int32))
        cols["top"].append(self.top[:k].copy())
        cols["p_top"].append(self._pre[i, self.top[:k]].astype(np.float64))
        cols["p_sym"].append(self._pre[i, s].astype(np.float64))
        has = self._pred < V
        cols["p_pred"].append(np.where(has, self._pre[i, np.minimum(self._pred, V - 1)], 0.0))
        cols["p_coded"].append(self._post[i, s].astype(np.float64))
        cols["sym"].append(s)
        cols["pred"].append(self._pred)
        cols["bucket"].append(self._bucket)
        for key in ("prev1", "prev2", "cand", "cbkt"):
            cols[key].append(last_ctx[key][:k])
        super().update(sym)


engine.ContextModel = RecordingContext
engine.SecondaryEstimate = RecordingSSE
t0 = time.time()
_, stats = engine.encode(symbols, cfg, 2)
arrays = {k: np.concatenate(v) for k, v in cols.items()}
np.savez(out, vocab=cfg.vocab, streams=cfg.streams, nbytes=len(data), **arrays)
print(preset, sys.argv[5:], "V", cfg.vocab, "B", cfg.streams, "symbols", len(arrays["sym"]),
      "model bits/byte", stats.bits / len(data),
      "recorded", -np.log2(arrays["p_coded"]).sum() / len(data),
      "without sse", -np.log2(arrays["p_sym"]).sum() / len(data), "time", time.time() - t0)

"""compress-only ratio probe: exp.py PRESET BYTES FILE [B]"""
import sys, time, dataclasses, os
sys.path.insert(0, "/tmp/exp")
import nncomp
preset, limit, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
B = int(sys.argv[4]) if len(sys.argv) > 4 else 0
ctx = int(os.environ.get("EXP_N", "0"))
data = open(path, "rb").read(limit)
rep = {}
if B: rep["streams"] = B
if ctx: rep["context"] = ctx
cfg = dataclasses.replace(nncomp.PRESETS[preset], **rep) if rep else None
t0 = time.perf_counter()
blob = nncomp.Compressor(preset, threads=1, fallback=False, config=cfg).compress(data)
c = time.perf_counter() - t0
print(f"{ {k: v for k, v in os.environ.items() if k.startswith('EXP_')} } n={ctx} {preset} {path.split('/')[-1]} {len(data)} B={B}: {len(blob)} bytes {len(blob)*8/len(data):.4f} bpb {len(data)/c/1e3:.1f} kB/s", flush=True)

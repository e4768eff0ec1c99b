"""Write the golden archives tests/data/golden/ holds: one per preset, of a small public input,
by the exact engine, with the model frame forced (no fallback), and inputs.json with the
SHA-256 of what each decodes to. The suite decodes them on whatever machine runs it
(tests/test_exact.py); rerun this only when the format changes on purpose, and record the
machine it ran on in benchmarks/README.md.

    python scripts/golden_archives.py [--check]

--check decodes the tracked archives here and re-encodes their inputs with the config each
header stores (a preset retuned since writes other archives): both must agree byte for byte
(an archive from another machine is the portability test).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import nncomp

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "data" / "golden"
ALICE = ROOT / "corpora" / "alice29.txt"
# Small enough to decode in seconds on two cores (the model frame is forced: no MODEL_FROM).
SIZES = {"test": 3000, "fast": 1500, "default": 1000, "max": 800}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="decode and re-encode the tracked ones")
    args = ap.parse_args()
    text = ALICE.read_bytes()
    OUT.mkdir(parents=True, exist_ok=True)
    digests = {}
    ok = True
    for preset, size in SIZES.items():
        data = text[:size]
        path = OUT / f"{preset}.nnc"
        config = (nncomp.ModelConfig.from_dict(nncomp.info(path.read_bytes())[0].config)
                  if args.check else None)
        blob = nncomp.Compressor(preset, config=config, fallback=False).compress(data)
        if args.check:
            same = path.read_bytes() == blob
            decoded = nncomp.decompress(path.read_bytes()) == data
            print(f"{preset}: re-encoded {'identical' if same else 'DIFFERENT'}, "
                  f"decoded {'ok' if decoded else 'WRONG'}", file=sys.stderr)
            ok &= same and decoded
            continue
        path.write_bytes(blob)
        digests[path.name] = hashlib.sha256(data).hexdigest()
        print(f"{preset}: {size} bytes -> {len(blob)}", file=sys.stderr)
    if not args.check:
        (OUT / "inputs.json").write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

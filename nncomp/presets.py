"""Named model configurations. A preset only picks a config: the file stores the config itself,
so retuning a preset never breaks old archives.

The figures below were measured on an Intel Xeon (AVX-512, AMX) before the presets folded case
(text_case) and re-estimated the top symbol (sse). Both were measured on an AMD EPYC without
bf16, where every preset runs in float32 (api.compress_info); model bits/byte, fast unless
said. On 2 MB prefixes folding took 0.4-1.7 % off (dickens 1.998 -> 1.970, xml 0.697 -> 0.692,
lcet10.txt 1.940 -> 1.907, plrabn12.txt 2.291 -> 2.281; benchmarks/trials/case-fold) and sse
0.4-0.5 % more (dickens 1.970 -> 1.963, default 1.900 -> 1.893, xml 0.692 -> 0.689, lcet10.txt
1.907 -> 1.897) and 4 % on kennedy.xls (0.272 -> 0.261; benchmarks/trials/sse). Prefixes
overstate folding: all of dickens gave 1.845 with neither, 1.840 folded, 1.834 with both
(benchmarks/amd-fast-dickens); default 1.739 with neither, 1.722 with both.

Measured on all of silesia/dickens with the Intel machine (benchmarks/shared, dickens-default,
max-dickens): fast 1.841 bits/byte at ~106 kB/s, default 1.743 at 58.9, max 1.679 at 15.0 (runs
hours apart: this VM's speed varies by 10-50 %); each step up gives 5.3 % and then 3.7 %
smaller output. On all of Canterbury, whose files run few streams: fast 1.210, default 1.171 at
6.3 kB/s, max 1.155 at 1.5 kB/s (benchmarks/shared, canterbury-default, canterbury-max).

Every preset trains with reuse_probs (nncomp/model.py): its training blocks took 21 % (fast),
24 % (default) and 10-16 % (max) less time on a Zen 4 EPYC with bf16. All of dickens, round trips
there (benchmarks/zen4-reuse): fast 1.786 -> 1.769 bits/byte at 92.3 / 80.7 kB/s, default
1.725 -> 1.726 at 34.0 / 38.2 (26.9 / 30.0 before); max 1.655 -> 1.650 model bits/byte; xml and
Canterbury within 0.3 %. fast then became a narrower network on more streams (H=64, up to 96
streams): dickens 1.819 bits/byte at 121.3 / 141.3 kB/s there (benchmarks/zen4-fast-h64).
"""
from __future__ import annotations

import dataclasses

from .config import LSTMConfig

PRESETS: dict[str, LSTMConfig] = {
    # Milliseconds per example: for tests, not for data.
    # Many coder segments, so that tests exercise segment switching and checkpoints.
    # A step of this model costs ~1 ms of per-op overhead whatever B, so tests run as many
    # streams as their inputs allow: rows, not bytes, set their time.
    "test": LSTMConfig(embed=8, hidden=16, layers=1, bptt=8, lr=1e-2, warmup=10, max_streams=8,
                       stream_len=1024, match=True, coder_segment=1024, text_vocab=512,
                       context=2, sse=True, reuse_probs=True),
    # The figures below up to "Round trips there" are of fast at H=128 with up to 64 streams
    # of 50k symbols and lr 2.5e-2, before it traded ratio for speed (the last paragraph).
    # The head's products are most of a training block: in bf16 they take 40 %
    # of the fp32 time (all of dickens: training 57.7 -> 47.9 s, 1.925 -> 1.927 bits/byte);
    # the LSTM itself stays fp32, where bf16 does not pay at H=128.
    # Context statistics are shared by all streams, so they make up for most of what more,
    # shorter streams cost (all of dickens: B=36 without them 1.927 bits/byte at 83.7 kB/s,
    # B=64 with orders 1-3 1.838 at 94.6 kB/s, one measuring session).
    # A small network keeps up with the text only with large steps, where many streams average
    # the gradient: all of dickens (B=64; AMD EPYC, float32, model bits/byte) with a constant lr
    # 5e-3 gave 1.834; falling geometrically, 5e-3 -> 1e-3 1.848, 7e-3 -> 2.5e-3 1.817,
    # 1e-2 -> 3e-3 1.794, 1.5e-2 -> 2e-3 1.789, 2.5e-2 -> 2e-3 1.781; all of xml (B=39) 0.582 ->
    # 0.561 and dickens' first 1.5 MB (B=10) 1.992 -> 1.961 with the last. With 3 streams it
    # lost (Canterbury's lcet10.txt 1.897 -> 1.921, plrabn12.txt 2.274 -> 2.307), so under 8
    # streams the rate stays 5e-3 (they cross at 6-7 streams on dickens' prefixes: B=4 +1.6 %,
    # B=6 even, B=7 -0.2 % with the falling rate; benchmarks/trials/learning-rate).
    # Round trips there: dickens 1.784 bits/byte, xml 0.567, Canterbury 1.194
    # (benchmarks/amd-fast-all).
    # Its step is bound by per-op cost more than by arithmetic: on a Zen 4 EPYC, 2 threads, all
    # of dickens (compression, model bits/byte, runs the same hour) H=128 B=64 gave 1.766 at
    # 86.7 kB/s, H=64 B=64 1.805 at 107.6, H=64 B=96 1.831 at 128.2; all of xml H=128 B=39
    # 0.560 at 72.4, H=64 B=64 0.588 at 104-108, B=96 0.603 at 126-151. With 96 streams a
    # larger step pays: lr 1.8e-2 / 2.5e-2 / 3.5e-2 / 5e-2 gave dickens 1.830 / 1.831 / 1.816 /
    # 1.817 and xml - / 0.603 / 0.595 / 0.592. Round trips: dickens 1.819 bits/byte at 121.3 /
    # 141.3 kB/s (H=128: 1.769 at 92.3 / 80.7), xml 0.601 at 136.2 / 117.1; files of ~1 M
    # symbols lose most (kennedy.xls +34 %, still 13 % under xz -9e; benchmarks/zen4-fast-h64).
    "fast": LSTMConfig(embed=32, hidden=64, layers=1, bptt=20, lr=3.5e-2, lr_end=2e-3,
                       lr_below=8, lr_few=5e-3, warmup=50, max_streams=96, stream_len=20_000,
                       match=True, text_vocab=1536, train_head_dtype="bfloat16", context=3,
                       text_case=True, sse=True, reuse_probs=True),
    # bf16 is ~35 % faster than fp32 at this width for a 0.05 % larger output.
    # All of dickens with orders 1-3: B=34 1.721 bits/byte at 32.5 kB/s, B=64 1.739 at 45.6.
    # 48k symbols per stream: silesia/xml (1.90 M symbols) gets B=39, 0.554 bits/byte at 37.0 /
    # 42.2 kB/s; at 60k its B=31 gave 0.549 at 31.5 / 31.4 in the same session (29.0 / 29.1 earlier).
    # Under 16 streams (inputs under ~480k symbols) it runs in float32 (below).
    # 30k since session 23, the same hour on a Zen 4 EPYC (compression, model bits/byte): xml
    # B=39 0.542 at 27.6 kB/s, B=62 0.553 at 30.4 (lr 7.5e-3: 0.550 at 30.2); kennedy.xls B=21
    # 0.207, B=34 0.214 (lr 7.5e-3: 0.223); dickens keeps its 64 (benchmarks/zen4-default-30k).
    # fast's falling rate does not carry over: 1.5e-2 -> 2e-3 took 0.5 % off dickens and 0.9 %
    # off xml, but added 7.2 % to kennedy.xls (B=21; benchmarks/trials/learning-rate).
    # With case folding and sse, round trips on an AMD EPYC in float32: dickens 1.727 bits/byte,
    # xml 0.549, all of Canterbury 1.159 (benchmarks/amd-default-all).
    "default": LSTMConfig(embed=64, hidden=256, layers=2, bptt=20, lr=5e-3, warmup=50,
                          max_streams=64, stream_len=30_000, match=True, text_vocab=2048,
                          dtype="bfloat16", train_dtype="bfloat16", context=3,
                          float32_below=16, text_case=True, sse=True, reuse_probs=True),
    # Prefixes mislead here: on the first 2 MB of dickens (B=16) T=10 and lr 4.5e-3 each took
    # ~0.6-0.9 % off, but all of dickens with T=10, lr 4e-3 gave 1.706 bits/byte at 12.7 kB/s
    # against 1.701 at 15.1 (B=31); hidden 704 or a third layer gained nothing there. Fewer
    # streams do pay, but a step costs about the same at B=8 and B=15, so speed follows B:
    # 200k symbols per stream gave dickens (B=15) 1.684 at 9.6 / 9.6 kB/s and silesia/xml (B=8)
    # 0.524 at 5.3 / 5.4, under 8 kB/s; 120k: dickens (B=25) 1.697 at 15.7 / 15.0, xml (B=14)
    # 0.534 at 9.0 / 9.0 (benchmarks/trials), all with a constant lr 3e-3.
    # A falling learning rate lasts where a larger constant one did not: all of dickens on an
    # H200 (B=25, model bits/byte): constant 3e-3 1.684; 3e-3 -> 1e-3 1.678; 4.5e-3 -> 1.5e-3
    # 1.673; 6e-3 -> 1e-3 1.672; 4.5e-3 -> 7.5e-4 1.671. With the last, on this CPU: dickens
    # 1.697 -> 1.679 at 15.0 / 15.0 kB/s, xml 0.534 -> 0.525 at 8.5 / 9.0, all of Canterbury
    # 1.159 -> 1.155 (kennedy.xls 4.7 %, four files 0.8-1.1 % smaller, plrabn12.txt even,
    # lcet10.txt 0.5 % larger; benchmarks/max-dickens, max-xml, canterbury-max, trials).
    # Under 8 streams (inputs under ~960k symbols; ~640k since 80k) it runs in float32 (below).
    # With case folding and sse, all of dickens (B=26) on an AMD EPYC in float32: 1.652 model
    # bits/byte at 3.9 kB/s (benchmarks/amd-max-dickens); all of xml (B=14) round trip 0.521 at
    # 2.8 / 2.7 kB/s (benchmarks/amd-max-xml).
    # At most 26 streams of 80k symbols since session 23: dickens (~3.1 M symbols) keeps the 26
    # that 120k gave it, and with them its coded bytes; xml runs 22 instead of 14: 0.521 -> 0.530
    # bits/byte (model 0.505 -> 0.514), 6.1 / 6.5 -> 8.3 / 8.5 kB/s, round trip on a Zen 4
    # EPYC (benchmarks/zen4-max-xml-80k). As it is, round trips there: dickens 1.658 bits/byte
    # at 11.0 / 10.7 kB/s, all of Canterbury 1.141 (benchmarks/zen4-max-dickens-now,
    # zen4-max-canterbury-3).
    "max": LSTMConfig(embed=64, hidden=512, layers=2, bptt=20, lr=4.5e-3, lr_end=7.5e-4, warmup=100,
                      max_streams=26, stream_len=80_000, match=True, text_vocab=4096,
                      dtype="bfloat16", train_dtype="bfloat16", context=3, float32_below=8,
                      text_case=True, sse=True, reuse_probs=True),
}
# Small inputs run few streams, and a step of few streams is bound by per-op cost and memory
# traffic, where bf16's casts cost more than its products save. Symbols/s, float32 against
# bf16, first B x 5,000 bytes of silesia/dickens as bytes (scripts/profile_engine.py --streams B):
#   default  B=2 1,585 / 1,199   B=4 2,872 / 2,345   B=8 5,292 / 4,519   B=16 8,744 / 8,954
#   max      B=2   868 /   701   B=4 1,395 / 1,285   B=8 2,298 / 2,368   B=16 3,144 / 4,240
# with the same bits/byte to 0.1 %. fast is bf16 only in its head's training, and there
# float32 is no clear gain (5 % faster at B=2, 11 % slower at B=4, equal at 8 and 16). Its step
# in bf16 ran prefixes 2-31 % faster at B >= 38 for the same bits/byte, but all of dickens gave
# 1.782 bits/byte against 1.769, at about the same speed (Zen 4; benchmarks/trials/fast-bf16-step).
DEFAULT_PRESET = "default"

# What a preset changes on a GPU. A step there costs ~0.9 ms whatever B (kernel launches and a
# host round trip, not arithmetic), so speed is proportional to B and max can afford fewer,
# longer streams. All of dickens on an H200 (benchmarks/cuda): B=15 1.686 bits/byte at 56.7 /
# 61.6 kB/s (the same config on the CPU: 1.684), B=10 1.682 at 37.7 kB/s; max as of session 22
# (B=10): 1.652 at 33.7 kB/s compressing, against 1.663 for CPU max (B=26, Zen 4, bf16).
ON_CUDA: dict[str, dict] = {
    # The CPU caps max at 26 streams, where its step is compute-bound; a GPU keeps 64.
    "max": {"stream_len": 300_000, "max_streams": 64},
}


def get(name: str, device: str = "cpu") -> LSTMConfig:
    """The config preset `name` uses on `device` ('cpu', 'cuda' or 'cuda:N')."""
    try:
        cfg = PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; choose from {', '.join(PRESETS)}") from None
    if device.startswith("cuda"):
        # float32 for few streams was measured on CPUs only: a GPU keeps every preset's dtypes.
        cfg = dataclasses.replace(cfg, **{"float32_below": 0, **ON_CUDA.get(name, {})})
    return cfg

"""The benchmark: nncomp's presets beside conventional codecs, measured the same way.

    codec.py    the one Codec interface of every row
    codecs.py   the rows: nncomp presets; gzip, xz, zstd, bzip2, brotli; PPMd, ZPAQ; bsc,
                paq8px, cmix where their commands are installed
    runner.py   each (codec, file, direction) in a fresh worker process; results JSON
    energy.py   RAPL / NVML counters, or an estimate from CPU time
    corpora.py  shipped, shared and downloadable corpora, checked by size and hash
    report.py   report.md / report.html and plots from results JSON
    cli.py      `nncomp bench` and `nncomp report`

Nothing here is imported by the codec itself.
"""

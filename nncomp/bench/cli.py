"""`nncomp bench` and `nncomp report`: data to files (and stdout), progress to stderr."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from . import corpora, energy, report, runner
from .codecs import DEFAULT_CODECS, registry


def _log(msg: str) -> None:
    click.echo(msg, err=True)


def _cuda_available() -> bool:
    """Imports torch only when asked: conventional-only runs stay light."""
    from ..engine.determinism import cuda_available
    return cuda_available()


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--corpus", "corpus_names", multiple=True, default=["shipped"], show_default=True,
              help="Corpus name, NAME:SIZE prefix (dickens:1M) or path; repeatable.")
@click.option("--codec", "codecs", multiple=True,
              help="Conventional codec (repeatable); default: all. 'none' for nncomp rows only.")
@click.option("--preset", "presets_", multiple=True, default=["fast", "default"], show_default=True,
              help="nncomp preset to add as a row (repeatable); 'none' for no nncomp rows.")
@click.option("--device", type=click.Choice(["cpu", "cuda", "both"]), default="cpu", show_default=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="out/bench", show_default=True)
@click.option("--cpu-watts", type=float, default=energy.DEFAULT_CPU_WATTS_PER_CORE, show_default=True,
              help="Assumed watts per busy core for the `estimate` energy method.")
@click.option("--gpu-watts", type=float, default=energy.DEFAULT_GPU_WATTS, show_default=True,
              help="Assumed GPU board power for the `estimate` energy method.")
@click.option("--no-download", is_flag=True, help="Never download a missing corpus.")
def bench_cmd(corpus_names, codecs, presets_, device, out_dir, cpu_watts, gpu_watts, no_download):
    """Benchmark nncomp presets against conventional codecs (gzip … ZPAQ); write results.json."""
    try:
        resolved = [corpora.resolve(c, allow_download=not no_download) for c in corpus_names]
    except corpora.CorpusError as e:
        raise click.ClickException(str(e)) from None
    known = registry()
    unknown = [c for c in codecs if c != "none" and c not in known]
    if unknown:
        raise click.ClickException(f"unknown codec(s) {unknown}; known: {', '.join(known)}")
    # brotli-11 is in the default list but optional: keep only what is installed.
    names = [n for n in (codecs or DEFAULT_CODECS) if n != "none" and n in known]
    devices = ["cpu", "cuda"] if device == "both" else [device]
    if "cuda" in devices and not _cuda_available():
        _log("nncomp bench: no CUDA GPU here: the cuda rows are skipped")
        devices.remove("cuda")
    for p in presets_:
        if p == "none":
            continue
        for d in devices:
            names.append(f"nncomp-{p}" + ("" if d == "cpu" else "-cuda"))
    doc = runner.run(resolved, names, cpu_watts, gpu_watts, argv=["nncomp", "bench", *sys.argv[2:]],
                    log=_log)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(doc, indent=1))
    _log(f"wrote {out / 'results.json'}")


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("results", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Folder for report.md/.html and plots (default: beside the first results file).")
@click.option("--transfer-kwh-per-gb", type=float, default=report.TRANSFER_KWH_PER_GB, show_default=True)
@click.option("--storage-kwh-per-gb-year", type=float, default=report.STORAGE_KWH_PER_GB_YEAR,
              show_default=True)
def report_cmd(results, out_dir, transfer_kwh_per_gb, storage_kwh_per_gb_year):
    """Write report.md, report.html and PNG plots from results.json files."""
    docs = []
    for path in results:
        try:
            docs.append(json.loads(Path(path).read_text()))
        except ValueError as e:
            raise click.ClickException(f"{path}: not JSON ({e})") from None
    out = Path(out_dir) if out_dir else Path(results[0]).parent
    try:
        written = report.build(docs, out, transfer_kwh_per_gb, storage_kwh_per_gb_year)
    except ValueError as e:
        raise click.ClickException(str(e)) from None
    for p in written:
        click.echo(str(p))


COMMANDS = {"bench": bench_cmd, "report": report_cmd}

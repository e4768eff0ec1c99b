"""The benchmark runner, energy meter, corpora and report on tiny inputs, without network."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from nncomp.bench import codecs, corpora, energy, report
from nncomp.bench import runner as bench
from nncomp.bench.corpora import CorpusError, FileSpec
from nncomp.format import container

DATA = b"benchmark me, benchmark me again. " * 300


@pytest.mark.parametrize("name", sorted(codecs.FACTORIES))
def test_every_conventional_codec_round_trips(name):
    codec = codecs.make_codec(name)
    blob = codec.compress(DATA)
    assert codec.decompress(blob) == DATA and len(blob) < len(DATA)
    assert codec.description and codec.version


def test_unknown_codec():
    with pytest.raises(KeyError):
        codecs.make_codec("lz4-1")


def test_run_writes_a_valid_verified_document(tmp_path):
    f = tmp_path / "tiny.txt"
    f.write_bytes(DATA)
    resolved = corpora.resolve(str(f))
    doc = bench.run([resolved], ["gzip-1", "nncomp-test"], cpu_watts=10, gpu_watts=300)
    bench.validate(json.loads(json.dumps(doc)))
    rows = {c["name"]: c["results"][0] for c in doc["codecs"]}
    for name, r in rows.items():
        assert r["verified"] and r["compressed"] > 0 and r["bpb"] == 8 * r["compressed"] / len(DATA)
        assert r["energy_method"] == ("rapl" if energy.RaplCounter().available() else "estimate")
        assert r["c_energy_j"] > 0 and r["c_rss_peak_kb"] > 0
    assert rows["gzip-1"]["c_runs"] >= 3 and rows["nncomp-test"]["c_runs"] == 1
    assert rows["nncomp-test"]["model_bits"] > 0
    kind = rows["nncomp-test"]["kind"]
    assert report.corpus_rows(doc)["tiny.txt"][1].kinds == kind in container.KIND_NAMES.values()
    assert doc["meta"]["corpora"]["tiny.txt"]["files"]["tiny.txt"]["bytes"] == len(DATA)
    written = report.build([doc], tmp_path / "rep")
    names = {p.name for p in written}
    assert {"report.md", "report.html", "pareto-tiny.txt.png", "energy-tiny.txt.png"} <= names
    md = (tmp_path / "rep" / "report.md").read_text()
    assert "nncomp-test" in md and "phone charges" in md and "Pareto" in md
    # Two results files of the same corpus: each section keeps its own plots.
    written = report.build([doc, doc], tmp_path / "two")
    assert {"pareto-tiny.txt.png", "pareto-tiny.txt-2.png"} <= {p.name for p in written}
    md = (tmp_path / "two" / "report.md").read_text()
    assert "(pareto-tiny.txt.png)" in md and "(pareto-tiny.txt-2.png)" in md


def test_mismatch_becomes_an_error_row(monkeypatch, tmp_path):
    f = tmp_path / "x"
    f.write_bytes(DATA)

    def fake_worker(spec, timeout):
        if spec["direction"] == "c":
            open(spec["blob"], "wb").write(b"blob")
            return {"wall_s": 1, "cpu_s": 1, "runs": 1, "energy_j": 1, "energy_method": "estimate",
                    "energy_detail": "", "rss_base_kb": 1, "rss_peak_kb": 1}
        return {"verified": False}
    monkeypatch.setattr(bench, "_run_worker", fake_worker)
    row = bench.measure("gzip-1", str(f), len(DATA), 10, 300)
    assert row["error"] == "round trip mismatch" and "bpb" not in row


def test_validate_rejects_bad_documents():
    with pytest.raises(ValueError):
        bench.validate({"schema": "other"})
    with pytest.raises(ValueError):
        bench.validate({"schema": bench.SCHEMA, "meta": {}, "codecs": [{"name": "x"}]})


def _fake_powercap(root, energy_uj, max_uj):
    d = root / "intel-rapl:0"
    d.mkdir(parents=True, exist_ok=True)
    (d / "energy_uj").write_text(str(energy_uj))
    (d / "max_energy_range_uj").write_text(str(max_uj))
    sub = root / "intel-rapl:0:0"  # a sub-domain: must not be double counted
    sub.mkdir(exist_ok=True)
    (sub / "energy_uj").write_text("5")
    (sub / "max_energy_range_uj").write_text(str(max_uj))
    return d


def test_rapl_wraparound(tmp_path):
    d = _fake_powercap(tmp_path, 999_000_000, 1_000_000_000)
    rapl = energy.RaplCounter(str(tmp_path))
    assert rapl.available() and len(rapl.domains) == 1
    before = rapl.read()
    (d / "energy_uj").write_text("2_000_000".replace("_", ""))  # wrapped past the maximum
    assert rapl.joules(before, rapl.read()) == pytest.approx(3.0)
    meter = energy.EnergyMeter(rapl=rapl)
    (d / "energy_uj").write_text("10")
    _, _, _, reading = meter.measure(lambda: (d / "energy_uj").write_text("4000010"))
    assert reading.method == "rapl" and reading.joules == pytest.approx(4.0)


class FakeNvml:
    def __init__(self):
        self.mj = 1000

    def nvmlInit(self):
        pass

    def nvmlDeviceGetHandleByIndex(self, i):
        return i

    def nvmlDeviceGetTotalEnergyConsumption(self, h):
        self.mj += 2500
        return self.mj


def test_nvml_path_with_a_fake_library(tmp_path):
    nv = energy.NvmlCounter([0], nvml=FakeNvml())
    meter = energy.EnergyMeter(gpus=[0], rapl=energy.RaplCounter(str(tmp_path)), nvml=nv)
    _, _, cpu, reading = meter.measure(lambda: sum(range(10000)))
    assert reading.method == "estimate+nvml"
    assert reading.joules == pytest.approx(2.5 + cpu * meter.cpu_watts)


def test_estimate_and_unavailable(tmp_path):
    empty = energy.RaplCounter(str(tmp_path))
    _, _, cpu, r = energy.EnergyMeter(cpu_watts_per_core=20, rapl=empty).measure(lambda: sum(range(10**5)))
    assert r.method == "estimate" and r.joules == pytest.approx(cpu * 20) and "W/core" in r.detail
    _, _, _, r = energy.EnergyMeter(rapl=empty, allow_estimate=False).measure(lambda: None)
    assert r.method == "unavailable" and r.joules is None


def test_the_cpu_of_a_child_process_counts():
    """nncomp decodes ZPAQ frames in a child process: its CPU time is the codec's energy too."""
    import subprocess
    import sys
    spin = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.5: pass\n"
    empty = energy.RaplCounter("/nonexistent")
    _, _, cpu, r = energy.EnergyMeter(rapl=empty).measure(
        lambda: subprocess.run([sys.executable, "-c", spin], check=True))
    assert cpu >= 0.5 and r.joules == pytest.approx(cpu * energy.DEFAULT_CPU_WATTS_PER_CORE)


def test_the_memory_of_a_child_process_counts():
    """The same for peak RSS: a worker's peak adds its largest child's (in a fresh process, as
    the bench's workers are, so that no earlier child of this one counts)."""
    import subprocess
    import sys
    probe = ("import subprocess, sys\n"
             "from nncomp.bench import runner\n"
             "before = runner._peak_rss_kb()\n"
             "subprocess.run([sys.executable, '-c', 'b = b\"x\" * (200 << 20)'], check=True)\n"
             "print(runner._peak_rss_kb() - before)\n")
    grew_kb = int(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                                 check=True).stdout)
    assert grew_kb >= 150 << 10  # most of the child's 200 MiB


def test_everyday_units():
    e = energy.everyday(15.0)
    assert e["phone_charges"] == 1 and e["ev_metres"] == 100 and e["raclette_seconds"] == 36
    assert e["bulb_hours"] == pytest.approx(15 / 7)


def test_corpus_checksum_mismatch_is_an_error(tmp_path):
    bad = tmp_path / "f"
    bad.write_bytes(b"x" * 10)
    with pytest.raises(CorpusError, match="sha256"):
        corpora.verify(FileSpec("f", "f", 10, sha256="0" * 64), bad)
    with pytest.raises(CorpusError, match="bytes"):
        corpora.verify(FileSpec("f", "f", 11), bad)


def test_missing_corpus_says_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.setenv("NNCOMP_DATA", str(tmp_path / "data"))
    monkeypatch.setattr(corpora, "data_dirs", lambda: [tmp_path / "data"])
    with pytest.raises(CorpusError) as e:
        corpora.resolve("enwik8", allow_download=False)
    msg = str(e.value)
    assert "enwik8 not found" in msg and str(tmp_path / "data" / "enwik8") in msg
    assert "NNCOMP_DATA" in msg and "mattmahoney.net" in msg


def test_download_failure_is_reported_not_raised_raw(tmp_path, monkeypatch):
    monkeypatch.setattr(corpora, "data_dirs", lambda: [tmp_path / "data"])

    def no_network(*a, **k):
        raise OSError("network unreachable")
    monkeypatch.setattr(corpora.urllib.request, "urlopen", no_network)
    with pytest.raises(CorpusError, match="download failed: network unreachable"):
        corpora.resolve("enwik6")


def test_shipped_corpus_and_prefixes():
    r = corpora.resolve("shipped")
    assert [f for f, _, _ in r.files] == ["alice29.txt", "sensor.f32"]
    assert len(r.read(0)) == 152089
    assert corpora.parse_size("1M") == 10**6 and corpora.parse_size("100k") == 10**5
    with pytest.raises(CorpusError):
        corpora.resolve("canterbury:1M")
    with pytest.raises(CorpusError, match="unknown corpus"):
        corpora.resolve("no-such-corpus")


def test_pareto_front():
    mk = lambda name, n, c, t: report.Row(name, "", n, c, t, t, 1.0, 1.0, "estimate", 1)  # noqa: E731
    rows = [mk("fast-bad", 1000, 500, 0.001), mk("slow-good", 1000, 200, 1.0),
            mk("dominated", 1000, 600, 1.0)]
    assert report.pareto(rows) == {"fast-bad", "slow-good"}


def test_tradeoff_break_even():
    mk = lambda name, c, cj, dj: report.Row(name, "", 10**9, c, 1, 1, cj, dj, "estimate", 1)  # noqa: E731
    xz = mk("xz-9e", 250_000_000, 1000.0, 100.0)
    # 3.6 kWh extra to compress, nothing extra to decompress, 0.1 GB saved:
    cheap_decode = mk("nncomp-a", 150_000_000, 1000.0 + 3600 * 3600, 100.0)
    (line,) = report.tradeoff([xz, cheap_decode], transfer_kwh_per_gb=0.06, storage_kwh_per_gb_year=0.01)
    assert "repaid after 3,600 years" in line and "repaid after 600 transfers" in line
    # Decoding costs 10 Wh more per receiver, while a transfer saves 0.1 GB * 60 Wh/GB = 6 Wh: never.
    dear_decode = mk("nncomp-b", 150_000_000, 1000.0 + 3600 * 3600, 100.0 + 10 * 3600)
    (line,) = report.tradeoff([xz, dear_decode], transfer_kwh_per_gb=0.06, storage_kwh_per_gb_year=0.01)
    assert "never repaid" in line and "repaid after 3,610 years" in line
    # 1 Wh more per receiver: 5 Wh net per transfer, 3.6 kWh / 5 Wh = 720 transfers.
    mid = mk("nncomp-c", 150_000_000, 1000.0 + 3600 * 3600, 100.0 + 3600)
    (line,) = report.tradeoff([xz, mid], transfer_kwh_per_gb=0.06, storage_kwh_per_gb_year=0.01)
    assert "repaid after 720 transfers" in line


def test_the_bench_and_report_commands(tmp_path):
    """The README's main job, `nncomp bench` then `nncomp report`, as a user runs them: on a tiny
    corpus (a folder), one conventional codec and the test preset."""
    from conftest import run_cli
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_bytes(DATA)
    (corpus / "b.bin").write_bytes(bytes(range(256)) * 20)
    out = tmp_path / "out"
    p = run_cli(["bench", "--corpus", str(corpus), "--codec", "gzip-9", "--preset", "test",
                 "--out", str(out)])
    assert p.returncode == 0, p.stderr.decode()
    assert p.stdout == b""  # data to files, progress to stderr
    doc = json.loads((out / "results.json").read_text())
    bench.validate(doc)
    rows = {c["name"]: c["results"] for c in doc["codecs"]}
    assert set(rows) == {"gzip-9", "nncomp-test"}
    assert all(r["verified"] and r["compressed"] > 0 for rs in rows.values() for r in rs)
    assert {r["file"] for r in rows["nncomp-test"]} == {"a.txt", "b.bin"}
    p = run_cli(["report", str(out / "results.json")])
    assert p.returncode == 0, p.stderr.decode()
    written = {Path(line).name for line in p.stdout.decode().split()}
    assert {"report.md", "report.html"} <= written and any(n.endswith(".png") for n in written)
    md = (out / "report.md").read_text()
    assert "nncomp-test" in md and "gzip-9" in md


@pytest.mark.parametrize("name", ["ppmdH-o32", "ppmdI-o32", "zpaq-5"])
def test_the_strongest_conventional_rows_round_trip(name):
    """PPMd (a dependency: nncomp writes PPMd frames) and ZPAQ (the bench extra): installed by
    `make test`, so they never skip."""
    codec = codecs.make_codec(name)
    blob = codec.compress(DATA)
    assert codec.decompress(blob) == DATA and len(blob) < len(DATA) // 10


def test_command_rows_run_a_program_on_files(tmp_path):
    """bsc, paq8px and cmix rows are commands on the PATH (absent ones are not rows); the
    mechanism, with `cp` standing in for a compressor."""
    import shutil
    if shutil.which("cp") is None:
        pytest.skip("no cp")
    c = codecs.Command("copy", "cp", ["{in}", "{out}"], ["{in}", "{out}"], "cp as a codec")
    assert c.decompress(c.compress(DATA)) == DATA and c.meta()["method"] == "external command"
    for prog, row in (("bsc", "bsc-e2"), ("paq8px", "paq8px"), ("cmix", "cmix")):
        assert (row in codecs.FACTORIES) == (shutil.which(prog) is not None)


def test_a_path_takes_a_size_prefix_and_a_local_enwik8_is_checked(tmp_path):
    f = tmp_path / "data.bin"
    f.write_bytes(DATA)
    r = corpora.resolve(f"{f}:1Ki")
    assert r.files == [("data.bin", f, 1024)] and r.name == "data.bin:1Ki"
    fake = tmp_path / "enwik8"
    fake.write_bytes(DATA)
    with pytest.raises(CorpusError, match="100,000,000 bytes.*unzipped"):
        corpora.resolve(str(fake))
    with pytest.raises(CorpusError, match="folder"):
        corpora.resolve(f"{tmp_path}:1k")


def _row(codec: str, n: int, compressed: int, c_s: float, d_s: float, j: float) -> report.Row:
    return report.Row(codec, codec, n, compressed, c_s, d_s, j, j / 2, "estimate", 10_000)


def test_the_verdict_comes_first_and_says_when_a_codec_dominates():
    rows = [_row("bzip2-9", 10**6, 200_000, 0.1, 0.05, 1.0),
            _row("xz-9e", 10**6, 210_000, 1.0, 0.01, 10.0),
            _row("nncomp-fast", 10**6, 205_000, 10.0, 10.0, 100.0),
            _row("nncomp-max", 10**6, 150_000, 100.0, 100.0, 1000.0)]
    lines = report.verdict(rows)
    assert lines[0].startswith("**bzip2-9 beats nncomp-fast here**")
    assert "nncomp-max** is 25.0 % smaller than the best conventional codec here (bzip2-9" in lines[1]
    assert "2,000× slower to decompress" in lines[1]
    assert report.dominated_by(rows[3], rows) is None
    assert report._duration(1e9 / 2e3) == "5.8 days" and report._duration(30) == "30 s"
    assert "frames" not in lines[1]  # the network's own frames: nothing to say
    rows[3].kinds, rows[3].model_bits = "model,zpaq", 8 * 160_000
    assert "(bzip2-9, 1.600 bits/byte (its frames: model, zpaq; the network alone codes 1.280)" \
        in report.verdict(rows)[1]


def test_a_busy_machine_is_named_in_the_report(tmp_path):
    f = tmp_path / "t.txt"
    f.write_bytes(DATA)
    doc = bench.run([corpora.resolve(str(f))], ["gzip-1"], cpu_watts=10, gpu_watts=300)
    assert len(doc["meta"]["load_before"]) == 3 and doc["meta"]["cpus_available"] >= 1
    assert doc["meta"]["energy_counters"]  # "rapl", or why not: absent or permission denied
    doc["meta"]["load_before"] = [50.0, 50.0, 50.0]
    report.build([doc], tmp_path / "r")
    assert "Warning: the machine was busy" in (tmp_path / "r" / "report.md").read_text()

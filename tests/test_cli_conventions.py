"""What gzip, xz and zstd users rely on (issue #37), one test per convention, through real
processes (forked from the CLI server: tests/cli_server.py)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import hostile  # noqa: E402
from conftest import run_cli  # noqa: E402

TEXT = b"The quick brown fox jumps over the lazy dog. " * 200


def run(*args, input=None, env=None, cwd=None):
    p = run_cli(list(args), input=input, env=env, cwd=cwd)
    assert b"Traceback" not in p.stderr, p.stderr.decode()
    return p


def test_an_unreadable_input_is_reported_and_the_others_go_on(tmp_path):
    if os.geteuid() == 0:  # root reads any file: a link to itself cannot be opened either
        bad = tmp_path / "loop"
        bad.symlink_to(bad)
    else:
        bad = tmp_path / "secret"
        bad.write_bytes(TEXT)
        bad.chmod(0)
    good = tmp_path / "good"
    good.write_bytes(TEXT)
    p = run("-p", "test", str(bad), str(good))
    assert p.returncode == 1
    assert (tmp_path / "good.nnc").exists()  # the other file went on
    line = p.stderr.decode().strip()
    assert line.startswith(f"nncomp: {bad}: ") and "Usage" not in line


def test_a_missing_file_is_named_once(tmp_path):
    p = run("-d", str(tmp_path / "missing.txt.nnc"))
    assert p.returncode == 1
    assert p.stderr.decode() == f"nncomp: {tmp_path / 'missing.txt.nnc'}: No such file or directory\n"


def test_a_closed_pipe_ends_quietly(tmp_path):
    src = tmp_path / "a"
    src.write_bytes(os.urandom(3_000_000))  # stored: decoded faster than `head` reads
    run("-p", "test", str(src))
    p = subprocess.run(f"{sys.executable} -m nncomp -dc {src}.nnc | head -c 10 > /dev/null",
                       shell=True, capture_output=True, timeout=600)
    assert p.stderr == b"", p.stderr.decode()


def test_help_keeps_its_layout_and_lists_the_commands():
    out = run("--help").stdout.decode()
    assert "    nncomp compress|decompress|test|list [OPTIONS] [FILE...]\n" in out
    assert "nncomp bench --help" in out and "nncomp report --help" in out
    assert "[fast|default|max]" in out and "test" not in out.split("--preset")[1].split("\n")[0]


@pytest.mark.parametrize("flag, preset", [("-1", "fast"), ("--fast", "fast"), ("-5", "default"),
                                          ("-9", "max"), ("--best", "max")])
def test_levels_map_onto_presets(tmp_path, flag, preset):
    src = tmp_path / "tiny"
    src.write_bytes(b"")  # an empty input: its frame is stored, the preset is still checked
    p = run(flag, "-v", "-c", str(src))
    assert p.returncode == 0


def test_preset_from_the_environment(tmp_path):
    src = tmp_path / "f"
    src.write_bytes(TEXT)
    run("--no-fallback", str(src), env={"NNCOMP_PRESET": "test"})
    listing = run("-l", str(src) + ".nnc").stdout.decode()
    assert " test " in listing
    p = run("-c", str(src), env={"NNCOMP_PRESET": "nope"})
    assert p.returncode == 1 and b"NNCOMP_PRESET" in p.stderr


def test_threads_zero_means_every_core_and_changes_no_byte(tmp_path):
    src = tmp_path / "f"
    src.write_bytes(TEXT)
    every = run("-p", "test", "--no-fallback", "-T0", "-c", str(src)).stdout
    assert every == run("-p", "test", "--no-fallback", "-T1", "-c", str(src)).stdout
    (tmp_path / "f.nnc").write_bytes(every)
    assert hostile.split((tmp_path / "f.nnc").read_bytes())[0]["fingerprint"] == {"engine": 3}
    p = run("-dc", "-T", "1", str(tmp_path / "f.nnc"))
    assert p.stdout == TEXT and not p.stderr


def test_listing_has_one_header_totals_and_frames_with_v(tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).write_bytes(TEXT)
        run("-p", "test", "-B", "4000", str(tmp_path / name))
    out = run("-l", str(tmp_path / "a.nnc"), str(tmp_path / "b.nnc")).stdout.decode()
    assert out.count("uncompressed") == 1 and "(2 files)" in out
    assert str(2 * len(TEXT)) in out.splitlines()[-1]
    verbose = run("-lv", str(tmp_path / "a.nnc")).stdout.decode()
    assert verbose.count("frame ") == 3 and "check CRC-32" in verbose


def test_a_subcommand_refuses_another_mode(tmp_path):
    p = run("compress", "-d", str(tmp_path / "x"))
    assert p.returncode == 1 and b"does not take --decompress" in p.stderr
    p = run("test", "-l", str(tmp_path / "x"))
    assert p.returncode == 1 and b"does not take --list" in p.stderr


def test_verbose_speeds_and_decompression_report(tmp_path):
    src = tmp_path / "f"
    src.write_bytes(TEXT[:500])
    p = run("-p", "test", "--no-fallback", "-v", str(src))
    assert b" B/s" in p.stderr or b" kB/s" in p.stderr
    assert b"0.0 kB/s" not in p.stderr
    d = run("-d", "-v", "-f", str(src) + ".nnc").stderr.decode()
    assert "OK" not in d and str(src) in d  # -d -v says what it wrote, not -t's "OK"


def test_an_unwritable_output_names_the_output(tmp_path):
    src = tmp_path / "f"
    src.write_bytes(TEXT)
    out = tmp_path / "no-such-dir" / "f.nnc"
    p = run("-p", "test", "-o", str(out), str(src))
    assert p.returncode == 1 and p.stderr.decode().startswith(f"nncomp: {out}: ")


def test_recursive_and_entry_points(tmp_path):
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "a").write_bytes(TEXT)
    (tree / "sub" / "b").write_bytes(b"")
    assert run("-p", "test", "-r", str(tree)).returncode == 0
    assert (tree / "a.nnc").exists() and (tree / "sub" / "b.nnc").exists()
    (tree / "a").unlink()
    (tree / "sub" / "b").unlink()
    assert run("-d", "-r", str(tree)).returncode == 0
    assert (tree / "a").read_bytes() == TEXT and (tree / "sub" / "b").read_bytes() == b""
    code = "from nncomp.cli.main import nncat; import sys; sys.argv = ['nncat', sys.argv[1]]; nncat()"
    p = subprocess.run([sys.executable, "-c", code, str(tree / "a.nnc")], capture_output=True,
                       timeout=600)
    assert p.stdout == TEXT


def test_progress_can_be_forced(tmp_path):
    src = tmp_path / "f"
    src.write_bytes(TEXT)
    p = run("-p", "test", "--no-fallback", "--progress", "-c", str(src))
    assert b"\r" in p.stderr and b"ETA" in p.stderr


def test_a_small_input_runs_no_model_and_imports_no_torch(tmp_path):
    """Under a preset's MODEL_FROM bytes the network cannot win (benchmarks/2026-12-07-zen4-
    small-inputs): PPMd, LZMA2 or stored, without torch, both ways."""
    from nncomp import presets
    src = tmp_path / "small"
    src.write_bytes(TEXT[:800])
    probe = ("import sys\nfrom nncomp.cli import main\ntry:\n    main(sys.argv[1:])\n"
             "except SystemExit:\n    pass\nsys.stderr.write('TORCH' if 'torch' in sys.modules else 'NO-TORCH')")
    for preset in presets.PUBLIC:
        assert 800 < presets.MODEL_FROM[preset]
        for args in (["-f", "-p", preset, str(src)], ["-dc", f"{src}.nnc"]):
            p = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, timeout=600)
            assert p.stderr.endswith(b"NO-TORCH"), (args, p.stderr.decode())
        assert " ppmd " in run("-l", f"{src}.nnc").stdout.decode()  # this text: PPMd's

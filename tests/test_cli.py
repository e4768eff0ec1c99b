"""The CLI through real processes (forked from the CLI server, or started afresh where what
an interpreter imports matters), as gzip/xz/zstd users and tar call it."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from conftest import NNCOMP, run_cli

TEXT = b"The quick brown fox jumps over the lazy dog. " * 200


def run(cmd, *args, input=None, cwd=None, check_rc=None):
    """cmd ARGS; `python -m nncomp` runs forked from the CLI server (conftest.run_cli)."""
    if cmd[:len(NNCOMP)] == NNCOMP:
        p = run_cli([*cmd[len(NNCOMP):], *args], input=input, cwd=cwd)
    else:
        p = subprocess.run([*cmd, *args], input=input, capture_output=True, cwd=cwd, timeout=300)
    if check_rc is not None:
        assert p.returncode == check_rc, p.stderr.decode()
    assert b"Traceback" not in p.stderr, p.stderr.decode()
    return p


@pytest.fixture
def cli(nncomp_cmd):
    # Model frames, as real data with real presets gives (LZMA2 would win with this tiny model).
    return [*nncomp_cmd, "-p", "test", "--no-fallback"]


def test_file_round_trip_keeps_input_and_metadata(cli, tmp_path):
    src = tmp_path / "a.txt"
    src.write_bytes(TEXT)
    os.chmod(src, 0o640)
    os.utime(src, (1_000_000_000, 1_000_000_000))
    run(cli, str(src), check_rc=0)
    arc = tmp_path / "a.txt.nnc"
    assert src.exists() and arc.exists() and arc.stat().st_size < len(TEXT) // 3
    assert arc.stat().st_mtime == 1_000_000_000 and (arc.stat().st_mode & 0o777) == 0o640
    src.rename(tmp_path / "orig")
    run(cli, "-d", str(arc), check_rc=0)
    assert src.read_bytes() == TEXT and arc.exists()
    assert list(tmp_path.iterdir()).__len__() == 3  # no temporary files left behind


def test_pipe_round_trip(cli):
    blob = run(cli, input=TEXT, check_rc=0).stdout
    assert blob[:4] == b"\x89NNC"
    assert run(cli, "-d", input=blob, check_rc=0).stdout == TEXT
    assert run(cli, "-dc", "-", input=blob, check_rc=0).stdout == TEXT


def test_refuses_to_overwrite_without_force(cli, tmp_path):
    src = tmp_path / "a"
    src.write_bytes(TEXT)
    (tmp_path / "a.nnc").write_bytes(b"precious")
    p = run(cli, str(src), check_rc=1)
    assert b"already exists" in p.stderr
    assert (tmp_path / "a.nnc").read_bytes() == b"precious"
    run(cli, "-f", str(src), check_rc=0)
    assert (tmp_path / "a.nnc").read_bytes()[:4] == b"\x89NNC"


def test_suffix_rules_and_warning_exit_code(cli, tmp_path):
    arc = tmp_path / "x.nnc"
    arc.write_bytes(b"whatever")
    p = run(cli, str(arc), check_rc=2)
    assert b"already has .nnc suffix" in p.stderr
    other = tmp_path / "x.bin"
    other.write_bytes(b"data")
    p = run(cli, "-d", str(other), check_rc=2)
    assert b"unknown suffix" in p.stderr
    p = run(cli, "-d", str(tmp_path), check_rc=2)
    assert b"is a directory" in p.stderr


def test_corrupt_archive_leaves_no_output_and_exits_1(cli, tmp_path):
    good = run(cli, input=TEXT, check_rc=0).stdout
    bad = bytearray(good)
    bad[-5] ^= 0x40
    arc = tmp_path / "c.nnc"
    arc.write_bytes(bytes(bad))
    p = run(cli, "-d", str(arc), check_rc=1)
    assert b"checksum" in p.stderr and p.stderr.count(b"\n") == 1
    assert sorted(os.listdir(tmp_path)) == ["c.nnc"]
    p = run(cli, "-t", str(arc), check_rc=1)
    missing = run(cli, "-d", str(tmp_path / "nope.nnc"), check_rc=1)
    assert b"No such file or directory" in missing.stderr


def test_output_option_stdout_option_and_rm(cli, tmp_path):
    src = tmp_path / "in"
    src.write_bytes(TEXT)
    run(cli, "-o", str(tmp_path / "out.bin"), str(src), check_rc=0)
    assert run(cli, "-dc", str(tmp_path / "out.bin"), check_rc=0).stdout == TEXT
    assert run(cli, "-c", str(src), check_rc=0).stdout == (tmp_path / "out.bin").read_bytes()
    run(cli, "--rm", str(src), check_rc=0)
    assert not src.exists() and (tmp_path / "in.nnc").exists()
    run(cli, "-d", "--rm", str(tmp_path / "in.nnc"), check_rc=0)
    assert src.read_bytes() == TEXT and not (tmp_path / "in.nnc").exists()


def test_list_test_and_subcommands(nncomp_cmd, cli, tmp_path):
    src = tmp_path / "f"
    src.write_bytes(TEXT)
    run(nncomp_cmd, "compress", "-p", "test", "--no-fallback", str(src), check_rc=0)
    listing = run(nncomp_cmd, "-l", str(tmp_path / "f.nnc"), check_rc=0).stdout.decode()
    assert "uncompressed" in listing and str(len(TEXT)) in listing and " test " in listing
    run(nncomp_cmd, "compress", "-p", "test", "-f", str(src), check_rc=0)  # brotli wins here
    listing = run(nncomp_cmd, "-l", str(tmp_path / "f.nnc"), check_rc=0).stdout.decode()
    assert " brotli " in listing
    assert run(nncomp_cmd, "info", str(tmp_path / "f.nnc"), check_rc=0).stdout.decode() == listing
    assert b"OK" in run(nncomp_cmd, "test", str(tmp_path / "f.nnc"), check_rc=0).stderr
    assert run(nncomp_cmd, "decompress", "-c", str(tmp_path / "f.nnc"), check_rc=0).stdout == TEXT
    assert b"nncomp" in run(nncomp_cmd, "-V", check_rc=0).stdout
    assert run(nncomp_cmd, "--bogus", check_rc=1).stderr.startswith(b"Usage")


# Runs the CLI's main() and reports on stderr whether torch (and numba) got imported.
_TORCH_PROBE = ("import sys\nfrom nncomp.cli import main\ntry:\n    main(sys.argv[1:])\n"
                "except SystemExit:\n    pass\nsys.stderr.write('torch' in sys.modules and 'TORCH' "
                "or 'NO-TORCH')\nsys.stderr.write(' DYNAMO' if 'torch._dynamo' in sys.modules else '')\n"
                "sys.stderr.write(' NUMBA' if 'numba' in sys.modules else '')\n")


def test_commands_that_run_no_model_do_not_import_torch(tmp_path):
    """Listing, --version, usage errors and fallback (here PPMd) frames answer in a fraction of a
    second, as gzip's do: importing torch (~2 s) and numba (~0.25 s) is for commands that run a
    model, and they import no more of torch than they use."""
    import nncomp
    from nncomp.format import container
    model = tmp_path / "m.nnc"
    model.write_bytes(nncomp.compress_info(TEXT, "test", fallback=False)[0])
    fallback = tmp_path / "l.nnc"
    fallback.write_bytes(nncomp.compress_info(TEXT, "test")[0])
    assert model.read_bytes()[5] == container.KIND_MODEL != fallback.read_bytes()[5]
    probe = [sys.executable, "-c", _TORCH_PROBE]
    # The probe can tell: decoding a model frame does import it, and coding one too, but not
    # torch._dynamo (1.7 s more), which torch.optim and use_deterministic_algorithms would load.
    text = tmp_path / "t.txt"
    text.write_bytes(TEXT)
    cases = [(args, (b"NO-TORCH",)) for args in (
        ["-V"], ["--bogus"], ["-l", str(model)], ["info", str(fallback)], ["-t", str(fallback)],
        ["-dc", str(fallback)], ["-d", str(tmp_path / "nope.nnc")], ["-d", str(tmp_path)])]
    cases += [(args, (b"TORCH", b"TORCH NUMBA")) for args in (
        ["-t", str(model)], ["-p", "test", "--no-fallback", "-c", str(text)])]
    # All at once: each is a process start, most of them a fraction of a second.
    procs = [(args, want, subprocess.Popen([*probe, *args], stdout=subprocess.PIPE,
                                           stderr=subprocess.PIPE)) for args, want in cases]
    for args, want, p in procs:
        _, err = p.communicate(timeout=600)
        assert err.splitlines()[-1] in want, (args, err.decode())


def test_refuses_to_write_to_a_terminal(nncomp_cmd, tmp_path):
    pty = pytest.importorskip("pty")
    master, slave = pty.openpty()
    src = tmp_path / "f"
    src.write_bytes(b"x" * 100)
    p = subprocess.run([*nncomp_cmd, "-c", str(src)], stdout=slave, stderr=subprocess.PIPE, timeout=600)
    os.close(slave)
    os.close(master)
    assert p.returncode == 1 and b"terminal" in p.stderr


@pytest.mark.skipif(shutil.which("tar") is None, reason="no tar")
def test_tar_dash_I(wrapper, tmp_path):
    d = tmp_path / "dir"
    (d / "sub").mkdir(parents=True)
    (d / "a.txt").write_bytes(TEXT)
    (d / "sub" / "b.bin").write_bytes(bytes(range(256)) * 4)
    (d / "empty").write_bytes(b"")
    arc = tmp_path / "d.tar.nnc"
    subprocess.run(["tar", "-I", str(wrapper), "-cf", str(arc), "-C", str(tmp_path), "dir"], check=True,
                   timeout=300)
    out = tmp_path / "out"
    out.mkdir()
    subprocess.run(["tar", "-I", str(wrapper), "-xf", str(arc), "-C", str(out)], check=True, timeout=300)
    for rel in ("a.txt", "sub/b.bin", "empty"):
        assert (out / "dir" / rel).read_bytes() == (d / rel).read_bytes()


@pytest.mark.parametrize("sig,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["INT", "TERM"])
def test_signal_leaves_no_partial_output(nncomp_cmd, tmp_path, sig, code):
    src = tmp_path / "big"
    src.write_bytes(TEXT * 40)  # a minute of work with the default preset
    # A shell's background job inherits SIGINT ignored, and nncomp (like gzip) keeps it ignored.
    p = subprocess.Popen([*nncomp_cmd, str(src)], stderr=subprocess.PIPE,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 600  # a hang guard, not a speed check
    while time.time() < deadline and not any(n.endswith(".tmp") for n in os.listdir(tmp_path)):
        time.sleep(0.05)
    # The temporary output exists before torch is imported (~2 s): 1 s later the signal lands
    # in that import or in the coding, both of which must clean up.
    time.sleep(1.0)
    p.send_signal(sig)
    _, err = p.communicate(timeout=600)
    assert p.returncode == code, err.decode()
    # The same one line wherever the signal lands (click's own handler would add a blank line).
    assert err == {130: b"nncomp: interrupted\n", 143: b"nncomp: terminated\n"}[code]
    assert sorted(os.listdir(tmp_path)) == ["big"] and src.read_bytes() == TEXT * 40


def test_an_interrupt_while_starting_exits_130(nncomp_cmd, tmp_path):
    """Ctrl-C while the CLI's modules load (the first third of a second) ends like one later."""
    src = tmp_path / "f"
    src.write_bytes(TEXT)
    p = subprocess.Popen([*nncomp_cmd, str(src)], stderr=subprocess.PIPE,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(0.15)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=600)
    assert (p.returncode, err) == (130, b"nncomp: interrupted\n")
    assert sorted(os.listdir(tmp_path)) == ["f"]


_INTERRUPTED_IMPORT = """
import sys
from nncomp.engine import determinism
print("IMPORTING", flush=True)
try:
    determinism.load_torch()
    print("NOT INTERRUPTED")
except KeyboardInterrupt:
    print("AFTER" if "torch" in sys.modules else "DURING")
"""


@pytest.mark.parametrize("handler,seen", [(signal.SIG_DFL, b"AFTER"), (signal.SIG_IGN, b"NOT INTERRUPTED")],
                         ids=["default", "ignored"])
def test_an_interrupt_during_torch_import_waits_for_its_end(handler, seen):
    """A KeyboardInterrupt raised inside torch's import, where C++ runs Python through pybind11,
    aborts the process (std::terminate) before any cleanup: load_torch() holds it until the
    import is over. Unheld, this probe ends DURING or with SIGABRT. A process that started with
    SIGINT ignored (a shell's background job) keeps ignoring it, as gzip does."""
    p = subprocess.Popen([sys.executable, "-c", _INTERRUPTED_IMPORT], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, preexec_fn=lambda: signal.signal(signal.SIGINT, handler))
    assert p.stdout.readline() == b"IMPORTING\n"
    time.sleep(0.3)  # the import takes seconds
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=600)
    assert (p.returncode, out.strip()) == (0, seen), err.decode()


def test_two_writers_one_name_exactly_one_wins(nncomp_cmd, tmp_path):
    src_a, src_b = tmp_path / "a", tmp_path / "b"
    src_a.write_bytes(TEXT)
    src_b.write_bytes(TEXT[::-1])
    out = tmp_path / "same.nnc"
    # One thread each: two 2-thread torch processes on 2 cores spin against each other.
    procs = [subprocess.Popen([*nncomp_cmd, "-p", "test", "-T", "1", "-o", str(out), str(s)],
                              stderr=subprocess.PIPE)
             for s in (src_a, src_b)]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    codes = sorted(rc for rc, _ in results)
    assert codes == [0, 1], results
    loser_err = next(err for rc, err in results if rc == 1)
    assert b"already exists" in loser_err
    decoded = run(nncomp_cmd, "-dc", str(out), check_rc=0).stdout
    assert decoded in (TEXT, TEXT[::-1])
    assert sorted(os.listdir(tmp_path)) == ["a", "b", "same.nnc"]


def test_what_a_library_prints_goes_to_stderr_not_into_the_data():
    """Ray's driver prints its workers' errors to sys.stdout: with -c, the data stays clean."""
    code = ("import os, sys\n"
            "import nncomp.compressor as c\n"
            "for cls, name in ((c.Compressor, 'compress_stream'),\n"
            "                  (c.Decompressor, 'decompress_stream')):\n"
            "    def noisy(*a, _f=getattr(cls, name), **k):\n"
            "        print('a library speaking', flush=True)\n"
            "        os.write(1, b'C speaking\\n')\n"
            "        return _f(*a, **k)\n"
            "    setattr(cls, name, noisy)\n"
            "from nncomp.cli.main import main\n"
            "main(sys.argv[1:])\n")
    cmd = [sys.executable, "-c", code, "-p", "test", "--no-fallback"]
    p = run(cmd, "-c", input=TEXT, check_rc=0)
    assert p.stdout[:4] == b"\x89NNC" and b"speaking" in p.stderr
    assert b"speaking" not in p.stdout
    p = run(cmd, "-dc", input=p.stdout, check_rc=0)
    assert p.stdout == TEXT and p.stderr.count(b"speaking") == 2

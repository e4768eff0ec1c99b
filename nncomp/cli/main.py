"""Compress or decompress FILEs with a neural network, like gzip (stdin to stdout without FILE).

\b
    nncomp [OPTIONS] [FILE...]        compress (or -d, -t, -l) like gzip
    nncomp compress|decompress|test|list [OPTIONS] [FILE...]
    nncomp bench --help               benchmark presets against conventional codecs
    nncomp report --help              report.md / report.html from benchmark results
    unnncomp FILE.nnc = nncomp -d;    nncat FILE.nnc = nncomp -dc

Exit status: 0 success, 1 error, 2 warning (a file skipped), 130 interrupted.
"""
from __future__ import annotations

import contextlib
import errno
import math
import os
import signal
import stat
import sys
import time
from dataclasses import dataclass, field
from typing import BinaryIO, Iterator, Optional

import click

from .. import api, presets
from .._version import __version__
from ..checkpoint import Checkpoint
from ..compressor import DEFAULT_BLOCK_SIZE, Compressor, Decompressor
from ..engine import determinism
from ..errors import NNCompError
from ..system.fileio import Terminated, atomic_output, install_sigterm_handler
from ..system.malloc import keep_freed_memory
from ..format.container import MAX_LENGTH
from ..limits import parse_memlimit
from ..system.sizes import parse_size

OK, ERROR, WARNING = 0, 1, 2


class Warn(Exception):
    """A file skipped, gzip style: reported, exit status 2, the other files go on."""


@dataclass
class Opts:
    """What one command line asks for: the mode and the file handling here; how to compress and
    decompress in the options objects the API uses (nncomp/compressor.py)."""
    mode: str  # compress, decompress, test, list
    stdout: bool
    output: Optional[str]
    force: bool
    rm: bool
    verbose: int
    quiet: bool
    progress: bool
    suffix: str
    compressor: Optional[Compressor]  # None in the other modes
    decompressor: Decompressor
    checkpoint: Optional[str] = None
    checkpoint_interval: float = 600.0
    recursive: bool = False
    force_progress: bool = False
    listed: list = field(default_factory=list)  # -l: (name, frames) of the files listed so far


class ProgressBar:
    """One line on stderr, redrawn in place: bytes done, speed, ETA and running bits per byte."""

    EVERY = 0.25  # seconds between redraws, as zstd's

    def __init__(self, name: str):
        self.name, self.t0, self.drawn, self.last = name, time.perf_counter(), False, 0.0

    def __call__(self, done: int, total: int, bits: float) -> None:
        now = time.perf_counter()
        if now - self.last < self.EVERY and done < total:
            return
        self.last = now
        dt = max(now - self.t0, 1e-9)
        rate = done / dt
        eta = (total - done) / rate if rate > 0 else math.inf
        eta_s = f"{int(eta // 60)}:{int(eta % 60):02d}" if math.isfinite(eta) else "?"
        bpb = f"{bits / done:.3f} bpb" if done else ""
        sys.stderr.write(f"\r{self.name}: {100 * done / max(total, 1):5.1f}%  {_size(done)}/{_size(total)}"
                         f"  {_rate(rate):>11}  ETA {eta_s}  {bpb}   ")
        sys.stderr.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def _rate(bytes_per_s: float) -> str:
    """A speed in kB/s, or B/s below 1 kB/s (a slow model on a small file)."""
    return f"{bytes_per_s / 1e3:.1f} kB/s" if bytes_per_s >= 1e3 else f"{bytes_per_s:.0f} B/s"


def _size(n: float) -> str:
    for unit, k in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= k:
            return f"{n / k:.2f} {unit}"
    return f"{int(n)} B"


def _say(o: Opts, msg: str) -> None:
    if not o.quiet:
        click.echo(f"nncomp: {msg}", err=True)


@contextlib.contextmanager
def _input(name: str) -> Iterator[tuple[BinaryIO, Optional[int]]]:
    """The input stream and its size when known (for the progress bar)."""
    if name == "-":
        yield sys.stdin.buffer, None
        return
    with open(name, "rb") as f:
        st = os.fstat(f.fileno())
        yield f, st.st_size if stat.S_ISREG(st.st_mode) else None


@contextlib.contextmanager
def _stdout_for_data() -> Iterator[BinaryIO]:
    """Standard output for the data alone: while it is written, what anything else prints (Ray's
    driver prints its workers' errors to sys.stdout; a library may print) goes to stderr."""
    sys.stdout.flush()
    data, saved = os.fdopen(os.dup(1), "wb"), sys.stdout
    try:
        os.dup2(2, 1)
    except OSError:  # stderr closed: nowhere
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    sys.stdout = sys.stderr
    try:
        yield data
        data.flush()
    finally:
        sys.stdout = saved
        os.dup2(data.fileno(), 1)
        with contextlib.suppress(OSError):  # a broken pipe is reported once, by the flush
            data.close()


@contextlib.contextmanager
def _output(o: Opts, target: str, like: Optional[str]) -> Iterator[BinaryIO]:
    """The destination, opened before the work starts so that nothing is computed for a
    target that cannot be written; a file target only appears once complete."""
    if target == "-":
        with _stdout_for_data() as out:
            yield out
        return
    if like is not None and os.path.exists(target) and os.path.samefile(like, target):
        raise NNCompError(f"{target}: refusing to overwrite the input")
    try:
        with atomic_output(target, o.force, like) as f:
            yield f
    except OSError as e:  # name the file that could not be created or written, not the input
        if e.errno is None or e.filename == target:
            raise
        raise OSError(e.errno, e.strerror, target) from None


def _target(o: Opts, name: str) -> str:
    """Where the result of processing `name` goes ('-' for stdout)."""
    if o.stdout or name == "-":
        return o.output or "-"
    if o.output:
        return o.output
    if o.mode == "compress":
        if name.endswith(o.suffix):
            raise Warn(f"{name} already has {o.suffix} suffix -- unchanged")
        return name + o.suffix
    if not name.endswith(o.suffix) or name == o.suffix:
        raise Warn(f"{name}: unknown suffix -- ignored")
    return name[: -len(o.suffix)]


def _progress(o: Opts, name: str) -> Optional[ProgressBar]:
    if o.force_progress or (o.progress and not o.quiet and sys.stderr.isatty()):
        return ProgressBar(name)
    return None


def _process(o: Opts, name: str) -> None:
    if name != "-":
        if os.path.isdir(name):
            raise Warn(f"{name} is a directory -- ignored")
        if not os.path.exists(name):
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", name)
    target = "-" if o.mode in ("test", "list") else _target(o, name)
    if target == "-" and o.mode == "compress" and sys.stdout.isatty() and not o.force:
        raise NNCompError("compressed data not written to a terminal; use -f to force")
    if name == "-" and o.mode != "compress" and sys.stdin.isatty():
        raise NNCompError("compressed data not read from a terminal")
    like = None if name == "-" else name
    label = "(stdin)" if name == "-" else name
    bar = _progress(o, label)
    t0 = time.perf_counter()
    if o.mode == "list":
        with _input(name) as (src, _):
            frames = api.info_stream(src)  # one frame in memory at a time, as with decompression
        _list(o, label, frames)
        return
    ckpt = Checkpoint(o.checkpoint, o.checkpoint_interval) if o.checkpoint else None
    with contextlib.ExitStack() as stack:
        src, total = stack.enter_context(_input(name))
        out = stack.enter_context(_output(o, target, like)) if o.mode != "test" else None
        if bar is not None:
            stack.callback(bar.close)
        if ckpt is not None:
            stack.callback(ckpt.close)
        try:
            if o.compressor is not None:
                assert out is not None  # compressing always has an output
                ci = o.compressor.compress_stream(src, out, progress=bar, total=total,
                                                  checkpoint=ckpt)
                n, c = ci.n, ci.compressed
            else:
                n = o.decompressor.decompress_stream(src, out, progress=bar)
        except BrokenPipeError:
            raise
        except OSError as e:
            if e.filename is None and out is not None and target == "-":  # a write to stdout
                raise OSError(e.errno, e.strerror, "(stdout)") from None
            raise  # a file target's errors are named by _output
    if ckpt is not None:
        ckpt.remove()
    seconds = time.perf_counter() - t0
    if o.mode == "compress" and o.verbose:
        _report(label, n, c, seconds, ci.kind)
    elif o.mode == "test" and not o.quiet:
        click.echo(f"{label}: OK ({n} bytes, {seconds:.1f} s)", err=True)
    elif o.verbose:
        click.echo(f"{label}: {n} bytes in {seconds:.1f} s, {_rate(n / max(seconds, 1e-9))}"
                   f" -> {target if target != '-' else '(stdout)'}", err=True)
    if o.rm and name != "-" and target != "-" and o.mode in ("compress", "decompress"):
        os.unlink(name)


def _report(label: str, n: int, c: int, seconds: float, kind: str) -> None:
    bpb = 8 * c / n if n else 0.0
    mode = "" if kind == "model" else f" ({kind} frames)" if "," in kind else f" ({kind})"
    click.echo(f"{label}: {bpb:.3f} bits/byte, {100 * c / max(n, 1):.1f}% ({n} -> {c} bytes), "
               f"{_rate(n / max(seconds, 1e-9))}{mode}", err=True)


_LIST_HEAD = f"{'compressed':>12} {'uncompressed':>12} {'ratio':>7} {'bpb':>6} {'frames':>6}  preset  name"


def _list_row(c: int, n: int, frames: int, what: str, label: str) -> str:
    ratio = f"{n / c:.3f}" if c else "-"
    bpb = f"{8 * c / n:.3f}" if n else "-"
    return f"{c:>12} {n:>12} {ratio:>7} {bpb:>6} {frames:>6}  {what:<7} {label}"


def _list(o: Opts, label: str, frames: list) -> None:
    """-l: a row per file (the header before the first); -lv: a row per frame under it."""
    if not o.listed:
        click.echo(_LIST_HEAD)
    o.listed.append((label, frames))
    n = sum(f.length for f in frames)
    c = sum(f.compressed for f in frames)
    click.echo(_list_row(c, n, len(frames), ",".join(sorted({f.preset or f.kind for f in frames})),
                         label))
    if o.verbose:
        for i, f in enumerate(frames):
            cfg = f.config or {}
            fp = f.fingerprint or {}
            where = ("exact: decodes anywhere" if cfg.get("exact") else
                     f"{cfg.get('dtype')}, decodes on {fp.get('device')} {fp.get('cpu_capability')}")
            detail = (f"{f.kind}, check CRC-32" + (
                f", {cfg['arch']} E{cfg['embed']} H{cfg['hidden']} L{cfg['layers']}, "
                f"{cfg['streams']} streams, vocab {cfg['vocab']}, engine {fp.get('engine')} "
                f"({where})" if cfg else "") + (
                (f", warm: from frame {i - cfg['warm']}" if f.warm_start else ", warm: cold")
                if cfg.get("warm") else ""))
            click.echo(_list_row(f.compressed, f.length, 1, f.preset or f.kind,
                                 f"  frame {i}: {detail}"))


def _list_totals(o: Opts) -> None:
    if len(o.listed) > 1:
        frames = [f for _, fs in o.listed for f in fs]
        click.echo(_list_row(sum(f.compressed for f in frames), sum(f.length for f in frames),
                             len(frames), "", f"({len(o.listed)} files)"))


def _expand(o: Opts, files: tuple[str, ...]) -> list[str]:
    """-r: a directory stands for the files under it (compressing: those without the suffix;
    otherwise: those with it), in a stable order."""
    if not o.recursive:
        return list(files)
    out = []
    for name in files:
        if name != "-" and os.path.isdir(name):
            for root, dirs, names in os.walk(name):
                dirs.sort()
                for n in sorted(names):
                    path = os.path.join(root, n)
                    if os.path.isfile(path) and (n.endswith(o.suffix) != (o.mode == "compress")):
                        out.append(path)
        else:
            out.append(name)
    return out


def run_files(o: Opts, files: tuple[str, ...]) -> int:
    files = tuple(_expand(o, files or ("-",)))
    if o.output and len(files) > 1:
        raise click.UsageError("-o takes a single input file")
    status = OK
    for name in files:
        try:
            _process(o, name)
        except Warn as w:
            _say(o, str(w))
            if status == OK:
                status = WARNING
        except BrokenPipeError:
            raise  # the reader went away: main() ends quietly
        except (NNCompError, OSError, MemoryError) as e:
            msg = (e.strerror if isinstance(e, OSError) and e.strerror else str(e)) or type(e).__name__
            where = e.filename if isinstance(e, OSError) and e.filename else name
            click.echo(f"nncomp: {where if where != '-' else '(stdin)'}: {msg}", err=True)
            status = ERROR
    if o.mode == "list":
        _list_totals(o)
    return status


class Size(click.ParamType):
    """A size in system/sizes.py's grammar (65536, 64k, 32M, 32Mi, 1G), or with parse=
    parse_memlimit also a share of physical memory such as 50%."""
    name = "size"

    def __init__(self, parse=parse_size):
        self.parse = parse

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        try:
            return self.parse(value)
        except ValueError as e:
            self.fail(str(e), param, ctx)


class PresetChoice(click.Choice):
    """The public presets; `test` (tiny, for the test suite) is accepted but not offered."""

    def __init__(self):
        super().__init__(list(presets.PRESETS))

    def get_metavar(self, param, *args, **kwargs) -> str:
        return "[" + "|".join(presets.PUBLIC) + "]"


def _codec_options(f):
    opts = [
        click.option("-d", "--decompress", "mode", flag_value="decompress", help="Decompress."),
        click.option("-z", "--compress", "mode", flag_value="compress", help="Compress (default)."),
        click.option("-t", "--test", "mode", flag_value="test", help="Test archive integrity."),
        click.option("-l", "--list", "mode", flag_value="list", help="List archive contents."),
        click.option("-c", "--stdout", is_flag=True, help="Write to standard output, keep inputs."),
        click.option("-o", "--output", metavar="FILE", help="Write to FILE (one input only)."),
        click.option("-k", "--keep", is_flag=True, help="Keep input files (the default)."),
        click.option("--rm", is_flag=True, help="Remove input files after success (verifies first)."),
        click.option("-f", "--force", is_flag=True, help="Overwrite outputs; write to a terminal."),
        click.option("-v", "--verbose", count=True, help="Report ratio and speed per file."),
        click.option("-q", "--quiet", is_flag=True, help="Suppress warnings."),
        click.option("-p", "--preset", default=None, type=PresetChoice(),
                     help=f"Model preset: {', '.join(presets.PUBLIC)} (default: NNCOMP_PRESET, "
                          f"else {presets.DEFAULT_PRESET})."),
        *(click.option(f"-{k}", "level", flag_value=k, hidden=True) for k in range(1, 10)),
        click.option("--fast", "level", flag_value=1, help="Preset fast (also -1, -2, -3)."),
        click.option("--best", "level", flag_value=9, help="Preset max (also -7, -8, -9; -4..-6: default)."),
        click.option("-T", "--threads", type=click.IntRange(0, 1024), default=None,
                     help="Cores to use, as zstd's -T (0: every available core; default 2, or "
                          "the idle ones): blocks (-B) are coded by a process each, leftover "
                          "cores run as threads. The archive is the same bytes whatever the "
                          "count (float-engine archives of nncomp 0.1 decode with the thread "
                          "count they recorded)."),
        click.option("-r", "--recursive", is_flag=True, help="Operate on the files under directories."),
        click.option("-j", "--workers", type=click.IntRange(0, 1024), default=None,
                     help="Processes coding blocks at once, sharing -T's cores (default: one per "
                          "block, up to -T; 0: one per core)."),
        click.option("--cluster", metavar="ADDRESS", envvar="NNCOMP_CLUSTER", default=None,
                     help="Code blocks as tasks on a Ray cluster (auto, HOST:PORT, ray://HOST:PORT, "
                          "or local; default NNCOMP_CLUSTER). Needs nncomp[cluster]."),
        click.option("--verify", is_flag=True, help="Decode in-process before reporting success."),
        click.option("--device", default="cpu", show_default=True, metavar="DEVICE",
                     help="Run the model on cpu, cuda or cuda:N, compressing or decompressing: "
                          "any device decodes what any other wrote (float-engine archives "
                          "decode on the device they record)."),
        click.option("-B", "--block-size", type=Size(), default=None, metavar="SIZE",
                     help="Compress in independent blocks of SIZE bytes (k/M/G, Ki/Mi/Gi; "
                          "default 32Mi): memory grows with SIZE, never with the input."),
        click.option("--warm", type=click.IntRange(0, 4096), default=0, metavar="W",
                     help="Link blocks into W chains: a block's model starts from the one the "
                          "block W before it ended with, so only the first W learn from nothing "
                          "(smaller archives; W blocks at most run at once, and the archive "
                          "decodes only from its start). 0: independent blocks (default)."),
        click.option("--checkpoint", metavar="FILE", type=click.Path(dir_okay=False),
                     help="Save progress to FILE (and FILE.frames); rerunning the same command "
                          "resumes from it and gives the same archive. One input only."),
        click.option("--checkpoint-interval", type=click.FloatRange(0), default=600.0,
                     show_default=True, metavar="SECONDS", help="Time between checkpoint saves."),
        click.option("--no-fallback", is_flag=True,
                     help="Keep the model's frame even where LZMA2 (xz -9e) would be smaller."),
        click.option("--memlimit", type=Size(parse_memlimit), default=None, metavar="SIZE",
                     help="Refuse to decode frames needing more memory (e.g. 4Gi or 50%; default "
                          "NNCOMP_MEMLIMIT, else a quarter of RAM)."),
        click.option("--max-size", type=Size(), default=None, metavar="SIZE",
                     help="Refuse to decode frames claiming more than SIZE bytes."),
        click.option("--no-progress", is_flag=True, help="No progress bar on stderr."),
        click.option("--progress", "force_progress", is_flag=True,
                     help="A progress bar on stderr even when it is not a terminal."),
        click.option("--ignore-fingerprint", is_flag=True,
                     help="Decode even if this machine differs from the encoder's (checksum still checked)."),
        click.option("-S", "--suffix", default=".nnc", show_default=True, help="Archive suffix."),
        click.argument("files", nargs=-1),  # opened one by one: an unreadable one is reported
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def _make_file_command(name: str, fixed_mode: Optional[str], help_text: str) -> click.Command:
    @click.command(name=name, help=help_text, context_settings={"help_option_names": ["-h", "--help"]})
    @_codec_options
    @click.version_option(__version__, "-V", "--version", prog_name="nncomp")
    def cmd(**kw):
        if not kw["suffix"] or "/" in kw["suffix"]:
            raise click.BadParameter("suffix must be non-empty and contain no '/'")
        if fixed_mode and kw["mode"] and kw["mode"] != fixed_mode:
            raise click.UsageError(f"nncomp {name} does not take --{kw['mode']}")
        o = _opts(fixed_mode or kw["mode"] or "compress", kw)
        if kw["checkpoint"] and (len(kw["files"]) > 1 or o.mode != "compress"):
            raise click.UsageError("--checkpoint takes a single input to compress")
        if kw["checkpoint"] and kw["warm"]:
            raise click.UsageError("--checkpoint does not keep --warm chains")
        sys.exit(run_files(o, kw["files"]))
    return cmd


def _preset(kw: dict) -> str:
    """-p, else -1..-9 / --fast / --best, else NNCOMP_PRESET, else the default preset."""
    if kw["preset"]:
        return kw["preset"]
    if kw["level"]:
        return ("fast", "fast", "fast", "default", "default", "default", "max", "max", "max")[
            int(kw["level"]) - 1]
    env = os.environ.get("NNCOMP_PRESET", "")
    if env and env not in presets.PRESETS:
        raise click.BadParameter(f"NNCOMP_PRESET={env!r} is not one of {', '.join(presets.PUBLIC)}")
    return env or presets.DEFAULT_PRESET


def _opts(mode: str, kw: dict) -> Opts:
    """The command line's options as Opts: the codec's go into one Compressor or Decompressor."""
    # Unlike the API's, the command's default splits its cores between blocks too.
    threads = determinism.default_threads() if kw["threads"] is None else kw["threads"]
    try:
        comp = Compressor(
            _preset(kw), block_size=kw["block_size"] or DEFAULT_BLOCK_SIZE, threads=threads,
            device=kw["device"], verify=kw["verify"] or kw["rm"], fallback=not kw["no_fallback"],
            workers=kw["workers"], cluster=kw["cluster"] or None, warm=kw["warm"],
        ) if mode == "compress" else None
        if mode != "compress" and not kw["cluster"]:
            determinism.check_device(kw["device"])
    except (ValueError, NNCompError) as e:
        raise click.BadParameter(str(e), param_hint="--device") from None
    return Opts(mode=mode, stdout=kw["stdout"], output=kw["output"], force=kw["force"], rm=kw["rm"],
                verbose=kw["verbose"], quiet=kw["quiet"], progress=not kw["no_progress"],
                suffix=kw["suffix"], compressor=comp,
                decompressor=Decompressor(
                    ignore_fingerprint=kw["ignore_fingerprint"], memlimit=kw["memlimit"],
                    max_length=kw["max_size"] if kw["max_size"] is not None else MAX_LENGTH,
                    workers=kw["workers"], device=kw["device"], threads=threads,
                    cluster=kw["cluster"] or None),
                checkpoint=kw["checkpoint"], checkpoint_interval=kw["checkpoint_interval"],
                recursive=kw["recursive"], force_progress=kw["force_progress"])


FILE_COMMANDS = {
    "compress": _make_file_command("compress", "compress", "Compress FILEs (stdin to stdout without FILE)."),
    "decompress": _make_file_command("decompress", "decompress", "Decompress FILEs."),
    "test": _make_file_command("test", "test", "Test the integrity of archives."),
    "info": _make_file_command("info", "list", "List archive contents."),
}
FILE_COMMANDS["list"] = FILE_COMMANDS["info"]
gzip_style = _make_file_command("nncomp", None, __doc__ or "")


def _other_commands() -> dict[str, click.Command]:
    from ..bench.cli import COMMANDS  # imported lazily: the plain codec path stays light
    return COMMANDS


def _invoke(cmd: click.Command, args: list[str], prog: str) -> None:
    # Not cmd.main(): its KeyboardInterrupt handler prints a blank line first, so the message
    # of a Ctrl-C would depend on whether it landed before click took over (seen: a fast
    # machine's interrupt 0.15 s after start gave "\nnncomp: interrupted", a slower one's not).
    try:
        with cmd.make_context(prog, args) as ctx:
            cmd.invoke(ctx)
    except click.exceptions.Exit as e:  # --help, --version
        sys.exit(e.exit_code)
    except click.ClickException as e:
        e.show()
        sys.exit(ERROR)
    except click.Abort:
        raise KeyboardInterrupt from None


def _exit_at_once(status: int) -> None:
    """Exit after an interrupt, skipping the interpreter's shutdown. The output's cleanup has
    run; Python may still end the process by re-raising SIGINT at exit after a KeyboardInterrupt
    that was handled (seen in the test suite: "interrupted" printed, then status -2, not 130)."""
    for f in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            f.flush()
    os._exit(status)


def main(argv: Optional[list[str]] = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    install_sigterm_handler()
    keep_freed_memory()  # faster; this process ends when its command does
    try:
        if argv and argv[0] in FILE_COMMANDS:
            _invoke(FILE_COMMANDS[argv[0]], argv[1:], f"nncomp {argv[0]}")
        elif argv and argv[0] in ("bench", "report"):
            _invoke(_other_commands()[argv[0]], argv[1:], f"nncomp {argv[0]}")
        else:
            _invoke(gzip_style, argv, "nncomp")
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the exit short
        click.echo("nncomp: interrupted", err=True)
        _exit_at_once(130)
    except Terminated:
        click.echo("nncomp: terminated", err=True)
        sys.exit(143)
    except BrokenPipeError:
        # The reader went away (e.g. `nncomp -dc x.nnc | head`): quiet, like gzip.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(ERROR)
    except NNCompError as e:
        click.echo(f"nncomp: {e}", err=True)
        sys.exit(ERROR)


if __name__ == "__main__":
    main()


def unnncomp() -> None:
    """`unnncomp`: nncomp -d, as gunzip is gzip -d."""
    main(["-d", *sys.argv[1:]])


def nncat() -> None:
    """`nncat`: nncomp -dc, as zcat is gzip -dc."""
    main(["-dc", *sys.argv[1:]])

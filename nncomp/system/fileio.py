"""Safe output files: written beside the target under a temporary name, published on success.

An error, Ctrl-C or SIGTERM leaves no partial output; without --force an existing file is
never replaced, and of two processes racing for one name exactly one wins (os.link fails
when the name exists, atomically).
"""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import threading
from typing import BinaryIO, Iterator, Optional


class Terminated(BaseException):
    """SIGTERM, raised like KeyboardInterrupt so that the same cleanup runs."""


def install_sigterm_handler() -> None:
    def handler(signum, frame):  # noqa: ARG001
        raise Terminated()
    signal.signal(signal.SIGTERM, handler)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block ends, then deliver the first one that came.

    A Python exception raised while C++ runs Python code through pybind11, as torch's import
    does, ends in std::terminate: an abort that skips every cleanup and left the temporary
    output behind (a Ctrl-C about 1 s into a run did, 1 time in 22). A signal that is ignored
    stays ignored; outside the main thread nothing can be held and nothing is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    came: list[int] = []
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    held = {s: h for s, h in before.items() if h not in (signal.SIG_IGN, None)}
    for s in held:
        signal.signal(s, lambda signum, frame: came.append(signum))  # noqa: ARG005
    try:
        yield
    finally:
        for s, h in held.items():
            signal.signal(s, h)
        if came:
            signal.raise_signal(came[0])


@contextlib.contextmanager
def atomic_output(path: str, force: bool, like: Optional[str] = None) -> Iterator[BinaryIO]:
    """Yield a file to write; on success it becomes `path` with `like`'s mode and times."""
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.lexists(path) and not force:
        raise FileExistsError(f"{path} already exists; use -f to overwrite")
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp",
                               dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        if like is not None:
            shutil.copystat(like, tmp)
        if force:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise FileExistsError(f"{path} already exists; use -f to overwrite") from None
            except OSError:
                # Filesystems without hard links: rename, checking existence right before.
                if os.path.lexists(path):
                    raise FileExistsError(f"{path} already exists; use -f to overwrite") from None
                os.replace(tmp, path)
        _fsync_dir(directory)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _fsync_dir(directory: str) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_all(f: BinaryIO, data: bytes | memoryview) -> None:
    """Write all of data: a raw file object may write less than asked (a full disk, a signal);
    one that writes nothing more raises, so data is never lost silently."""
    view = memoryview(data).cast("B")
    while view:
        n = f.write(view)
        if n is None:  # a buffered or text-less object that does not report: it wrote all
            return
        if n <= 0:
            raise OSError(28, "No space left on device (a write made no progress)")
        view = view[n:]

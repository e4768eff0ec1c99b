"""File objects for .nnc archives, as lzma.LZMAFile and gzip.GzipFile are for theirs:
`nncomp.open()` and `NNCompFile`.

A writer collects its input into blocks of `block_size` bytes and compresses each into one
frame as it fills, so it writes what compress_stream() writes for the same bytes. A reader
decodes one frame at a time: memory is bounded by the block size either way. A frame is a
model's unit of work, so data reaches the file in whole blocks and at close(); flush() writes
no partial block (a frame cut short would cost ratio, as a fresh model starts each frame).
"""
from __future__ import annotations

import builtins
import dataclasses
import io
import os
from typing import Any, BinaryIO, Iterator, Literal, Optional, Union, cast, overload

from .compressor import CompressionObj, Compressor, Decompressor
from .errors import NNCompError
from .format.container import Frame

PathOrFile = Union[str, bytes, "os.PathLike[Any]", BinaryIO]

_READ, _WRITE = "rb", "wb"
_MODES = {"r": "rb", "rb": "rb", "w": "wb", "wb": "wb", "x": "xb", "xb": "xb", "a": "ab", "ab": "ab"}


class NNCompFile(io.BufferedIOBase):
    """A .nnc archive opened for reading or writing uncompressed bytes.

    filename is a path, or a file object to read the archive from or write it to (left open at
    close, as the standard modules do). mode: "r", "w", "x" (fail if the file exists) or "a"
    (append: concatenated archives are one archive), "b" optional. A writer takes a Compressor
    or its fields as keywords (preset, block_size, threads, device, verify, fallback); a reader
    a Decompressor or its fields (ignore_fingerprint, max_length, max_params). Giving one
    direction's options to the other is an error.
    """

    # A reader's state (_read_from_start): the frames still to come, and the error that ended
    # reading, raised again by every later read.
    _frames_in: Iterator[Frame]
    _error: Optional[BaseException]

    def __init__(self, filename: PathOrFile, mode: str = "r", *,
                 compressor: Optional[Compressor] = None,
                 decompressor: Optional[Decompressor] = None, **options: Any):
        if mode not in _MODES:
            raise ValueError(f"invalid mode {mode!r}: use 'r', 'w', 'x' or 'a', optionally with 'b'")
        self._fp: Optional[BinaryIO] = None  # closed, until a file is open
        self._mode = _READ if _MODES[mode] == "rb" else _WRITE
        options = {k: v for k, v in options.items() if v is not None}  # None: the default
        cls, given = (Compressor, compressor) if self._mode == _WRITE else (Decompressor, decompressor)
        other = decompressor if self._mode == _WRITE else compressor
        names = {f.name for f in dataclasses.fields(cls)}
        wrong = [k for k in options if k not in names] + (["decompressor" if cls is Compressor
                                                             else "compressor"] if other else [])
        if wrong:
            raise ValueError(f"{', '.join(wrong)}: not an option for "
                             f"{'writing' if self._mode == _WRITE else 'reading'}")
        if given is not None and options:
            raise ValueError("give options or a " + cls.__name__ + ", not both")
        opts = given or cls(**options)
        self._failed = False  # a writer's block failed: the archive cannot be completed
        fp: BinaryIO
        if isinstance(filename, (str, bytes, os.PathLike)):
            fp, self._own = cast(BinaryIO, builtins.open(filename, _MODES[mode])), True
        elif hasattr(filename, "read" if self._mode == _READ else "write"):
            fp, self._own = filename, False
        else:
            raise TypeError("filename must be a path or a file object")
        self._fp = fp
        self._pos = 0  # uncompressed bytes read or written
        if isinstance(opts, Decompressor):
            self._decompressor = opts
            self._start = fp.tell() if _seekable(fp) else 0
            self._read_from_start()
        else:  # blocks become frames, written to fp as they complete
            self._frames_out = CompressionObj(opts, fp)

    # -- io.BufferedIOBase --

    @property
    def mode(self) -> str:
        return self._mode

    @property
    def name(self) -> Any:
        return self._file().name

    @property
    def closed(self) -> bool:
        return self._fp is None

    def fileno(self) -> int:
        return self._file().fileno()

    def readable(self) -> bool:
        self._file()
        return self._mode == _READ

    def writable(self) -> bool:
        self._file()
        return self._mode == _WRITE

    def seekable(self) -> bool:
        return self.readable() and _seekable(self._file())

    def tell(self) -> int:
        self._file()
        return self._pos

    def close(self) -> None:
        """Compress what is left (a writer) and close the file, if this object opened it."""
        fp = self._fp
        if fp is None:
            return
        try:
            # An empty input still gets its frame: an empty file is not an archive. After a
            # block failed, nothing more is compressed (minutes, after a Ctrl-C say).
            if self._mode == _WRITE and not self._failed:
                self._frames_out.flush()
        finally:
            try:
                super().close()  # calls flush() while the file is still open
            finally:
                self._fp = None
                if self._own:
                    fp.close()

    def flush(self) -> None:
        """Flush the underlying file; a block still being filled stays here (see the module)."""
        fp = self._file()
        if self._mode == _WRITE:
            fp.flush()

    # -- writing --

    def write(self, data: Any) -> int:
        self._check_mode(_WRITE)
        if self._failed:
            raise NNCompError("an earlier block failed to compress: the archive holds only the "
                              "blocks before it")
        view = memoryview(data).cast("B")
        self._pos += len(view)
        try:
            self._frames_out.compress(view)
        except BaseException:
            self._failed = True
            raise
        return len(view)

    # -- reading --

    def read(self, size: Optional[int] = -1) -> bytes:
        self._check_mode(_READ)
        parts = []
        if size is None or size < 0:
            while self._fill():
                parts.append(self._take(len(self._chunk) - self._offset))
            return b"".join(parts)
        left = size
        while left > 0 and self._fill():
            parts.append(self._take(min(left, len(self._chunk) - self._offset)))
            left -= len(parts[-1])
        return b"".join(parts)

    def read1(self, size: int = -1) -> bytes:
        """At most size bytes, decoding at most one frame."""
        self._check_mode(_READ)
        if not size or not self._fill():
            return b""
        avail = len(self._chunk) - self._offset
        return self._take(avail if size < 0 else min(size, avail))

    def peek(self, size: int = 0) -> bytes:
        """The next bytes, not consumed: at least size (or a buffer's worth) where the current
        frame has them."""
        self._check_mode(_READ)
        if not self._fill():
            return b""
        n = max(size, io.DEFAULT_BUFFER_SIZE)
        return self._chunk[self._offset:self._offset + n]

    def readline(self, size: Optional[int] = -1) -> bytes:
        # Searched in place: IOBase's readline would peek (copy) once per line.
        self._check_mode(_READ)
        limit = -1 if size is None or size < 0 else size
        parts, n = [], 0
        while n != limit and self._fill():
            end = self._chunk.find(b"\n", self._offset)
            stop = len(self._chunk) if end < 0 else end + 1
            if limit >= 0:
                stop = min(stop, self._offset + limit - n)
            parts.append(self._take(stop - self._offset))
            n += len(parts[-1])
            if stop == end + 1:
                break
        return b"".join(parts)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Seek in the uncompressed data. Backwards starts again from the first frame; frames
        wholly before the target are skipped without running their model (but those of warm
        chains, which the frames after them start from)."""
        self._check_mode(_READ)
        if not _seekable(self._file()):
            raise io.UnsupportedOperation("the archive's file is not seekable")
        if whence == io.SEEK_CUR:
            offset += self._pos
        elif whence == io.SEEK_END:
            self._skip_to(None)
            offset += self._pos
        elif whence != io.SEEK_SET:
            raise ValueError(f"invalid whence {whence!r}")
        if offset < 0:
            raise ValueError(f"negative seek position {offset}")
        if offset < self._pos:
            self._rewind()
        self._skip_to(offset)
        return self._pos

    def _fill(self) -> bool:
        """Make the current frame's rest non-empty; False at the end of the archive."""
        while self._offset >= len(self._chunk):
            frame = self._next_frame()
            if frame is None:
                return False
            self._set_chunk(frame)
        return True

    def _next_frame(self) -> Optional[Frame]:
        # A failed read stays failed: the frame generator is finished after an error and would
        # otherwise look like the end of the archive.
        if self._error is not None:
            raise self._error
        try:
            return next(self._frames_in, None)
        except Exception as e:
            self._error = e
            raise

    def _set_chunk(self, frame: Frame) -> None:
        try:
            self._chunk = self._reader.decode(frame)
        except Exception as e:
            self._error = e
            raise
        self._offset = 0

    def _take(self, n: int) -> bytes:
        out = self._chunk[self._offset:self._offset + n]
        self._offset += n
        self._pos += n
        return out

    def _skip_to(self, target: Optional[int]) -> None:
        """Read forward to uncompressed position target (None: the end) or the end."""
        while target is None or self._pos < target:
            if self._offset < len(self._chunk):
                avail = len(self._chunk) - self._offset
                n = avail if target is None else min(avail, target - self._pos)
                self._offset += n
                self._pos += n
                continue
            frame = self._next_frame()
            if frame is None:
                return
            if (target is None or self._pos + frame.length <= target) \
                    and not self._reader.needed(frame):
                self._pos += frame.length  # wholly skipped: not decoded
                self._reader.skip(frame)
            else:
                self._set_chunk(frame)

    def _rewind(self) -> None:
        self._file().seek(self._start)
        self._read_from_start()

    def _read_from_start(self) -> None:
        """Reading state for the archive's first frame, the file being positioned there."""
        self._frames_in = self._decompressor.frames(self._file())
        self._reader = self._decompressor.reader()
        self._chunk, self._offset = b"", 0  # the frame being read, and how much of it was
        self._pos = 0
        self._error = None

    # -- checks --

    def _file(self) -> BinaryIO:
        """The archive's file, while this object is open."""
        if self._fp is None:
            raise ValueError("I/O operation on closed file")
        return self._fp

    def _check_mode(self, mode: str) -> None:
        self._file()
        if self._mode != mode:
            raise io.UnsupportedOperation("file not open for " + ("reading" if mode == _READ else "writing"))


def _seekable(f: Any) -> bool:
    return bool(getattr(f, "seekable", lambda: False)())


_BinaryMode = Literal["r", "rb", "w", "wb", "x", "xb", "a", "ab"]
_TextMode = Literal["rt", "wt", "xt", "at"]


@overload
def open(filename: PathOrFile, mode: _BinaryMode = "rb", *, encoding: None = None,
         errors: None = None, newline: None = None, **options: Any) -> NNCompFile: ...


@overload
def open(filename: PathOrFile, mode: _TextMode, *, encoding: Optional[str] = None,
         errors: Optional[str] = None, newline: Optional[str] = None,
         **options: Any) -> io.TextIOWrapper: ...


def open(filename: PathOrFile, mode: str = "rb", *, encoding: Optional[str] = None,
         errors: Optional[str] = None, newline: Optional[str] = None,
         **options: Any) -> Union[NNCompFile, io.TextIOWrapper]:
    """Open a .nnc archive in binary ("rb", "wb", "xb", "ab"; "b" may be left out) or text mode
    ("rt", "wt", "xt", "at"), as gzip.open and lzma.open do. options are NNCompFile's: preset,
    block_size, threads, device, verify, fallback for writing; ignore_fingerprint, max_length,
    max_params for reading; or compressor= / decompressor= objects."""
    if "t" in mode:
        if "b" in mode:
            raise ValueError(f"invalid mode {mode!r}: text and binary at once")
    else:
        for name, value in (("encoding", encoding), ("errors", errors), ("newline", newline)):
            if value is not None:
                raise ValueError(f"{name} is for text mode only")
    binary = NNCompFile(filename, mode.replace("t", ""), **options)
    if "t" not in mode:
        return binary
    return io.TextIOWrapper(binary, io.text_encoding(encoding), errors, newline)

"""Resumable compression: a run of hours should not be lost to a reboot.

A checkpoint is two files written beside each other:
- PATH holds the settings that decide the output bytes, how much input the finished frames
  cover (with a CRC-32 of it, so a resumed run proves it reads the same input) and, when a
  frame was in progress, the engine's state at the end of a coder segment (weights, Adam
  moments, LSTM states, match tables, the sealed segments: nncomp/engine/loop.py).
- PATH.frames holds the finished frames, appended and synced as they complete.

Both are replaced or appended atomically enough that a crash at any moment leaves the last
complete checkpoint usable. Loading uses torch.load(weights_only=True) on a file this
program wrote for the same user; archives themselves are never read that way.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
import zlib
from typing import BinaryIO, Callable, Optional, cast

from .system.machine import load_torch
from .errors import CheckpointError

VERSION = 1
_COPY = 1 << 20


class Checkpoint:
    def __init__(self, path: str, interval: float = 600.0):
        self.path, self.frames_path, self.interval = path, path + ".frames", interval
        self.settings: dict = {}
        self.input_done = 0  # input bytes covered by the finished frames
        self.input_crc = 0
        self.frames_len = 0  # bytes of PATH.frames that are valid
        self._frames: Optional[BinaryIO] = None
        self._last_save = time.monotonic()

    # -- resuming --

    def resume(self, settings: dict, src: BinaryIO, dst: BinaryIO) -> Optional[dict]:
        """Start or continue a run. Continuing skips the covered input (checking its CRC) and
        copies the finished frames to dst; returns the saved state of the frame in progress
        ({"block_len", "block_crc", "engine"}) or None."""
        self.settings = json.loads(json.dumps(settings))  # plain types: weights_only loads them
        settings = self.settings
        if not os.path.exists(self.path):
            self._open_frames(truncate=True)
            return None
        torch = load_torch()  # here, not at the top: the CLI imports this module for every command
        try:
            saved = torch.load(self.path, weights_only=True)
        except Exception as e:  # a damaged checkpoint: say so, never guess
            raise CheckpointError(f"checkpoint {self.path} is unreadable ({type(e).__name__}); "
                                  "remove it to start over") from None
        _check_saved(saved, self.path)
        diff = sorted(k for k in settings.keys() | saved["settings"].keys()
                      if settings.get(k) != saved["settings"].get(k))
        if diff:
            raise CheckpointError(f"checkpoint {self.path} was made with other settings "
                                  f"({', '.join(diff)}); use the same ones or remove it")
        self.input_done, self.input_crc = saved["input_done"], saved["input_crc"]
        self.frames_len = saved["frames_len"]
        if _skip_crc(src, self.input_done) != self.input_crc:
            raise CheckpointError("the input differs from the one the checkpoint was made from")
        if _size(self.frames_path) < self.frames_len:  # truncate() below would pad with zeros
            raise CheckpointError(f"{self.frames_path} is shorter than its checkpoint says")
        frames = self._open_frames(truncate=False)
        frames.seek(0)
        shutil.copyfileobj(frames, dst, _COPY)  # exactly frames_len bytes: truncated to it
        return saved["block"]

    def _open_frames(self, truncate: bool) -> BinaryIO:
        mode = "wb" if truncate or not os.path.exists(self.frames_path) else "r+b"
        f = self._frames = cast(BinaryIO, open(self.frames_path, mode))
        f.truncate(self.frames_len)
        f.seek(self.frames_len)
        return f

    # -- saving --

    def segment_hook(self, block: bytes) -> Callable[[Callable[[], dict]], None]:
        """The engine's on_segment callback while `block` is being coded."""
        def hook(snapshot: Callable[[], dict]) -> None:
            if time.monotonic() - self._last_save >= self.interval:
                self._save({"block_len": len(block), "block_crc": zlib.crc32(block),
                            "engine": snapshot()})
        return hook

    def frame_done(self, block: bytes, frame: bytes) -> None:
        assert self._frames is not None
        self._frames.write(frame)
        self._frames.flush()
        os.fsync(self._frames.fileno())
        self.frames_len += len(frame)
        self.input_done += len(block)
        self.input_crc = zlib.crc32(block, self.input_crc)
        self._save(None)

    def _save(self, block: Optional[dict]) -> None:
        torch = load_torch()
        tmp = self.path + ".tmp"
        torch.save({"version": VERSION, "settings": self.settings, "input_done": self.input_done,
                    "input_crc": self.input_crc, "frames_len": self.frames_len, "block": block}, tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
        self._last_save = time.monotonic()

    def remove(self) -> None:
        """After success: the archive is complete, the checkpoint has no more use."""
        if self._frames is not None:
            self._frames.close()
        for p in (self.path, self.frames_path, self.path + ".tmp"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(p)

    def close(self) -> None:
        if self._frames is not None:
            self._frames.close()


def _is_int(v, lo: int = 0, hi: int = 2**63 - 1) -> bool:
    return type(v) is int and lo <= v <= hi


def _check_saved(saved, path: str) -> None:
    """Every field of a loaded checkpoint has the type and range this nncomp writes; the engine's
    state is checked against the model it is loaded into (nncomp/engine/stack.py)."""
    def bad(what: str) -> CheckpointError:
        return CheckpointError(f"checkpoint {path}: {what}; remove it to start over")
    if not isinstance(saved, dict):
        raise bad("not a checkpoint")
    if saved.get("version") != VERSION:
        raise bad("an unknown version")
    if set(saved) != {"version", "settings", "input_done", "input_crc", "frames_len", "block"}:
        raise bad("the wrong fields")
    if not isinstance(saved["settings"], dict):
        raise bad("settings are not an object")
    for k, hi in (("input_done", 2**63 - 1), ("input_crc", 2**32 - 1), ("frames_len", 2**63 - 1)):
        if not _is_int(saved[k], 0, hi):
            raise bad(f"{k} out of range")
    block = saved["block"]
    if block is None:
        return
    if not isinstance(block, dict) or set(block) != {"block_len", "block_crc", "engine"}:
        raise bad("the block in progress has the wrong fields")
    if not _is_int(block["block_len"], 1) or not _is_int(block["block_crc"], 0, 2**32 - 1):
        raise bad("the block in progress is out of range")
    if not isinstance(block["engine"], dict):
        raise bad("the engine state is not an object")


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except FileNotFoundError:
        return 0


def _skip_crc(src: BinaryIO, n: int) -> int:
    crc, left = 0, n
    while left:
        chunk = src.read(min(left, _COPY))
        if not chunk:
            break
        crc = zlib.crc32(chunk, crc)
        left -= len(chunk)
    return crc if not left else -1

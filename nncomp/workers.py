"""Frames coded by several processes at once: each frame is independent (its model starts from
nothing), so blocks go to worker processes and their frames come back in input order. The
archive is the same bytes whatever the number of workers: each frame is computed by the same
function with the same options, in whichever process (the exact engine's bits do not depend on
the thread count either).

The cores a run may use are split between processes and torch threads (`split`): a process per
block that can run at once, since separate processes scale where the small per-step GEMMs of
one model do not; what is left over becomes threads inside each.

Workers are forked from multiprocessing's "forkserver", a process that has imported torch and
nncomp but never run a torch operation: a worker starts in milliseconds instead of importing
torch (~2 s each; the server imports it once per parent process), and no OpenMP thread pool is
copied (a fork of a process that has run torch's threads can hang in it). At most `in_flight`
items are read ahead, so memory stays bounded for files and pipes alike. A task reports its
progress with `report`; the parent adds up every worker's while it waits.
"""
from __future__ import annotations

import multiprocessing
import os
import queue as queue_mod
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Iterable, Iterator, Optional

from .errors import NNCompError

# (key, done, bits): what a task reports, and what a pool's map passes to its on_report.
Report = Callable[[Any, int, float], None]

_reports: Optional[Any] = None  # in a worker process: the queue its tasks report to


# An item map()'s items may include: submit nothing more until every result before it has
# been taken (an item after it needs them: a warm frame, its chain's frame before it).
DRAIN = object()
_END = object()


def ordered(submit: Callable[[Any], Any], result: Callable[[Any], Any], items: Iterable[Any],
            in_flight: int, cancel: Callable[[Any], None] = lambda handle: None) -> Iterator[Any]:
    """result(submit(item)) for every item, yielded in the items' order, with at most in_flight
    submitted and not yet yielded, and none past a DRAIN until all before it are yielded. An
    error, Ctrl-C or SIGTERM here cancels what is pending."""
    pending: deque = deque()
    it = iter(items)
    done = draining = False
    try:
        while True:
            while not (done or draining) and len(pending) < in_flight:
                item = next(it, _END)
                if item is _END:
                    done = True
                elif item is DRAIN:
                    draining = True
                else:
                    pending.append(submit(item))
            if not pending:
                if done:
                    return
                draining = False
                continue
            yield result(pending.popleft())
    except BaseException:
        for handle in pending:
            cancel(handle)
        raise


def split(cores: int, items: int, workers: Optional[int] = None) -> tuple[int, int]:
    """(processes, torch threads each) for `items` independent frames on `cores` cores: one
    process per frame up to the cores (or exactly `workers`), the remaining cores as threads."""
    procs = workers or max(1, min(cores, items))
    return procs, max(1, cores // procs)


def report(key: Any, done: int, bits: float) -> None:
    """Inside a task: tell the parent that the item `key` has `done` bytes coded (a no-op
    outside a worker)."""
    if _reports is not None:
        _reports.put((key, done, bits))


# Imported once in the server that workers are forked from: what a frame's coding needs.
PRELOAD = ["nncomp.compressor", "nncomp.frame", "nncomp.engine.loop"]


def _start_worker(reports: Any, env: dict[str, str]) -> None:
    global _reports
    _reports = reports
    # The server's environment is the parent's when the server started: nncomp's settings
    # (NNCOMP_MEMLIMIT, ...) as they are now.
    for k in [k for k in os.environ if k.startswith("NNCOMP_") and k not in env]:
        del os.environ[k]
    os.environ.update(env)


class Pool:
    """`workers` processes; map() runs a function over items in them, in order. A
    worker that dies is an NNCompError; an error, Ctrl-C or SIGTERM in the parent stops every
    worker at once. Use as a context manager."""

    def __init__(self, workers: int):
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)  # no effect once the server runs
        self.workers = workers
        self._reports = ctx.Queue()
        env = {k: v for k, v in os.environ.items() if k.startswith("NNCOMP_")}
        self._pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_start_worker,
                                         initargs=(self._reports, env))

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any], in_flight: int = 0,
            on_report: Optional[Report] = None) -> Iterator[Any]:
        """fn(item) for every item, yielded in the items' order (`ordered`: at most in_flight,
        default 2 × workers, submitted and not yet yielded; DRAIN). fn and the items must
        pickle; an exception in fn is raised here. While waiting, what tasks report goes to
        on_report."""
        def result(future: Future) -> Any:
            while not wait([future], timeout=0.25).done:
                self._drain(on_report)
            self._drain(on_report)
            try:
                return future.result()
            except BrokenProcessPool:
                raise NNCompError("a worker process died (out of memory, or killed): the "
                                  "output is incomplete") from None
        return ordered(lambda item: self._pool.submit(fn, item), result, items,
                       in_flight or 2 * self.workers)

    def _drain(self, on_report: Optional[Report]) -> None:
        while True:
            try:
                key, n, bits = self._reports.get_nowait()
            except queue_mod.Empty:
                return
            if on_report is not None:
                on_report(key, n, bits)

    def __enter__(self) -> "Pool":
        return self

    def __exit__(self, kind, *_) -> None:
        if kind is None:
            self._pool.shutdown(wait=True)
        else:  # stop every worker now rather than wait for its frame
            for proc in list((getattr(self._pool, "_processes", None) or {}).values()):
                proc.terminate()
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._reports.close()


class Tally:
    """Progress over items coded in several places at once: the bytes and bits of the finished
    items, plus what each unfinished one last reported."""

    def __init__(self) -> None:
        self.done, self.bits = 0, 0.0
        self._open: dict[Any, tuple[int, float]] = {}
        self._finished: set[Any] = set()

    def update(self, key: Any, done: int, bits: float) -> None:
        if key not in self._finished:  # a report can arrive after its item's result
            self._open[key] = (done, bits)

    def finish(self, key: Any, n: int, bits: float) -> None:
        self._open.pop(key, None)
        self._finished.add(key)
        self.done, self.bits = self.done + n, self.bits + bits

    def now(self) -> tuple[int, float]:
        """(bytes, bits) coded so far, finished and unfinished items together."""
        return (self.done + sum(d for d, _ in self._open.values()),
                self.bits + sum(b for _, b in self._open.values()))

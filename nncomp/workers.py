"""Frames coded by several processes at once: each frame is independent (its model starts from
nothing), so blocks can go to worker processes and their frames come back in input order. The
archive is the same bytes whatever the number of workers: each frame is computed by the same
function with the same options, in whichever process.

Workers are started with "spawn": a forked copy of a process that has loaded torch can hang
in OpenMP's thread pool. At most `in_flight` blocks are read ahead, so memory stays bounded
for files and pipes alike.
"""
from __future__ import annotations

import multiprocessing
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Iterable, Iterator

from .errors import NNCompError


def ordered_map(fn: Callable[[Any], Any], items: Iterable[Any], workers: int,
                in_flight: int = 0) -> Iterator[Any]:
    """fn(item) for every item, computed in `workers` processes, yielded in the items' order,
    with at most in_flight (default 2 × workers) submitted and not yet yielded. fn and the items
    must pickle. A worker that dies is an NNCompError; an exception in fn is raised here."""
    in_flight = in_flight or 2 * workers
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    pending: deque[Future] = deque()
    try:
        it = iter(items)
        done = False
        while True:
            while not done and len(pending) < in_flight:
                try:
                    pending.append(pool.submit(fn, next(it)))
                except StopIteration:
                    done = True
            if not pending:
                return
            try:
                yield pending.popleft().result()
            except BrokenProcessPool:
                raise NNCompError("a worker process died (out of memory, or killed): the "
                                  "output is incomplete") from None
    except BaseException:
        # An error, Ctrl-C or SIGTERM: stop every worker now rather than wait for its frame.
        for proc in list(getattr(pool, "_processes", {}).values()):
            proc.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)

"""Frames coded on a Ray cluster: the same map as workers.Pool's, with Ray tasks instead of local
processes (`pip install nncomp[cluster]`).

Each item becomes a task that asks for the CPUs (and, for a CUDA device, the GPU) it will use;
Ray places it on a node, moves the block there and the frame back through its object store
(where a frame's network also waits for the frame of its warm chain after it), and runs a task
again where the worker running it died (a frame is a pure function of its block and options:
the retry gives the same bytes). At most `in_flight` tasks are submitted and not yet
collected, so memory stays bounded on both sides. Every node needs this nncomp release
installed (a task checks it): the nodes may otherwise differ in CPU, thread count or device,
since the exact engine's frames are the same bytes everywhere.

    ray start --head                      # on one machine; `ray start --address=HEAD:6379` on others
    nncomp --cluster auto -B 32Mi big.txt
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator, Optional

from ._version import __version__
from .errors import NNCompError
from .workers import Report, ordered

RETRIES = 3  # runs of a task whose worker died, after the first
TASK_NAME = "nncomp-frame"  # a worker running one is the process "ray::nncomp-frame"


def _ray():
    try:
        import ray
    except ImportError:
        raise NNCompError("a cluster needs Ray: pip install 'nncomp[cluster]'") from None
    return ray


def connect(address: str) -> Any:
    """Ray, connected: to `address` (what ray.init takes: "auto" for the cluster this machine
    belongs to, "HOST:PORT", "ray://HOST:10001"), or "local" for a Ray instance of this process
    alone. A process that called ray.init itself keeps its connection."""
    ray = _ray()
    if not ray.is_initialized():
        ray.init(address=None if address == "local" else address, logging_level="warning",
                 log_to_driver=False, include_dashboard=False)
    return ray


def _task(fn: Callable[[Any], Any], item: tuple, version: str) -> Any:
    if version != __version__:
        raise NNCompError(f"this Ray node runs nncomp {__version__}, the client {version}: "
                          "install the same release on every node")
    ray = _ray()
    # An item carries a link of an earlier task as its reference: its value, from the store.
    return fn(tuple(ray.get(x) if isinstance(x, ray.ObjectRef) else x for x in item))


class RayPool:
    """Tasks of `cpus` CPUs and `gpus` GPUs each on the cluster at `address`. map() is
    workers.Pool.map's: results in the items' order; progress comes per finished item (Ray
    carries no reports from inside a task)."""

    def __init__(self, address: str, cpus: int = 1, gpus: int = 0):
        ray = connect(address)
        self._ray = ray
        self._remote = ray.remote(_task).options(name=TASK_NAME, num_cpus=cpus, num_gpus=gpus,
                                                 max_retries=RETRIES, retry_exceptions=False,
                                                 num_returns=2)
        slots = int(ray.cluster_resources().get("CPU", 1) // max(cpus, 1))
        self.workers = max(1, slots)

    def map(self, fn: Callable[[tuple], tuple[Any, Any]], items: Iterable[tuple],
            in_flight: int = 0, on_report: Optional[Report] = None) -> Iterator[tuple[Any, Any]]:
        """workers.Pool.map for an fn that returns a pair (result, link) from a tuple: the link
        (a frame's network, for the frame of its warm chain after it) stays in Ray's object
        store, and comes as its reference, which a later item may carry (its task gets the
        value; a lost one is made again from the task's lineage)."""
        ray = self._ray

        def result(refs: list) -> tuple[Any, Any]:
            try:
                return ray.get(refs[0]), refs[1]
            except (ray.exceptions.WorkerCrashedError, ray.exceptions.NodeDiedError,
                    ray.exceptions.ObjectLostError) as e:
                raise NNCompError(f"a Ray task failed {RETRIES + 1} times (its worker or "
                                  f"node died): {type(e).__name__}") from None

        return ordered(lambda item: self._remote.remote(fn, item, __version__), result, items,
                       in_flight or 2 * self.workers,
                       lambda refs: ray.cancel(refs[0], force=True))

    def __enter__(self) -> "RayPool":
        return self

    def __exit__(self, *_) -> None:
        pass  # the connection stays for the next input; Ray closes it when the process exits

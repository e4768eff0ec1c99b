"""Blocks coded by several processes, and by a Ray cluster: the same archive whatever the number
of processes, threads or nodes; progress from every worker; a worker that dies is an error (a
local one) or a retried task (a Ray one), never a hang or a different archive.

(Spawned workers re-import the main module: a script using workers needs the
`if __name__ == "__main__":` guard, as with multiprocessing.)"""
from __future__ import annotations

import importlib.util
import io
import os
import random
import signal
import subprocess
import threading
import time

import pytest

import nncomp
import nncomp.cluster
from nncomp.workers import split

from conftest import ALICE, FLOAT_TEST, run_cli

TEXT = ALICE.read_bytes()[:60_000]


def _archive(data: bytes, **options) -> bytes:
    dst = io.BytesIO()
    info = nncomp.compress_stream(io.BytesIO(data), dst, "test", fallback=False, **options)
    assert info.n == len(data) and info.compressed == len(dst.getvalue())
    return dst.getvalue()


def test_cores_are_split_between_processes_and_threads():
    assert split(16, 1) == (1, 16)  # one block: every core a torch thread
    assert split(16, 100) == (16, 1)  # blocks enough: a process per core
    assert split(4, 2) == (2, 2)
    assert split(2, 5, workers=3) == (3, 1)
    assert nncomp.Compressor("test", threads=4).plan(3) == (3, 1)
    # A float-engine recipe's thread count decides its bits: every process keeps it.
    assert nncomp.Compressor("test", config=FLOAT_TEST, threads=2, workers=3).plan(9) == (3, 2)
    # Processes start only when asked for (threads or workers given): a script without the
    # __main__ guard keeps working with the defaults.
    assert nncomp.Compressor("test").workers == 1 == nncomp.Decompressor().workers
    assert nncomp.Compressor("test", threads=0).threads == len(os.sched_getaffinity(0))
    with pytest.raises(ValueError):
        nncomp.Compressor("test", workers=-1)
    with pytest.raises(ValueError):
        nncomp.Decompressor(threads=-1)


def test_the_archive_is_the_same_for_any_processes_and_threads():
    data = TEXT[:6000]
    one = _archive(data, block_size=1500, threads=1)
    # 2 processes × 2 threads (2 × 1: tests/test_warm.py's CLI run, 3 × 1 in decoding below)
    assert _archive(data, block_size=1500, threads=4, workers=2) == one
    assert len(nncomp.info(one)) == 4 and {f.kind for f in nncomp.info(one)} == {"model"}
    assert nncomp.decompress(one, workers=3, threads=1) == data
    # A stored frame large enough to stream in chunks, between model frames: written in order.
    noise = random.Random(0).randbytes(1_200_000)
    mixed = one + nncomp.compress(noise, "test") + one
    back = io.BytesIO()
    assert nncomp.decompress_stream(io.BytesIO(mixed), back, threads=2) == 2 * len(data) + len(noise)
    assert back.getvalue() == data + noise + data
    empty = _archive(b"", threads=2)
    assert nncomp.decompress(empty, threads=2) == b""


def test_progress_adds_up_every_worker():
    data = TEXT[:40_000]
    seen: list[tuple[int, int]] = []
    dst = io.BytesIO()
    nncomp.compress_stream(io.BytesIO(data), dst, "test", block_size=10_000, threads=2,
                           fallback=False, total=len(data),
                           progress=lambda done, total, bits: seen.append((done, total)))
    done = [d for d, _ in seen]
    assert done == sorted(done) and seen[-1] == (len(data), len(data))
    # Reports from inside the frames, not only one per finished frame (a frame takes seconds,
    # a worker reports every quarter of one).
    assert any(d % 10_000 for d in done), done
    back: list[int] = []
    nncomp.decompress_stream(io.BytesIO(dst.getvalue()), None, threads=2,
                             progress=lambda done, total, bits: back.append(done))
    assert back == sorted(back) and back[-1] == len(data)


def _workers(pid: int) -> list[int]:
    """pid's worker processes: the children of its forkserver (multiprocessing's server that
    forks them; not its resource tracker)."""
    procs: dict[int, tuple[int, bytes]] = {}  # pid: (parent, command line)
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/stat") as f:
                    parent = int(f.read().rsplit(")", 1)[1].split()[1])
                with open(f"/proc/{p}/cmdline", "rb") as f:
                    procs[int(p)] = (parent, f.read())
            except (OSError, ValueError, IndexError):
                pass
    servers = {p for p, (parent, cmd) in procs.items() if parent == pid and b"forkserver" in cmd}
    return [p for p, (parent, _) in procs.items() if parent in servers]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _kill_a_worker_soon(parent: int, killed: list, delay: float = 2.0) -> threading.Thread:
    """Kill one of parent's workers once it has run `delay` seconds (coding)."""
    def run():
        deadline = time.time() + 300
        while time.time() < deadline:
            kids = [k for k in _workers(parent) if _alive(k)]
            if kids:
                time.sleep(delay)
                os.kill(kids[-1], signal.SIGKILL)
                killed.append(kids[-1])
                return
            time.sleep(0.05)
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def test_a_worker_that_dies_is_an_error_not_a_hang():
    killed: list[int] = []
    _kill_a_worker_soon(os.getpid(), killed)
    with pytest.raises(nncomp.NNCompError, match="worker process died"):
        _archive(TEXT * 4, block_size=20_000, threads=2)
    assert killed


def test_cli_workers_stop_with_the_command(nncomp_cmd, tmp_path):
    """SIGTERM to `nncomp -T 2` on blocks: exit 143, no partial output, no worker left."""
    src = tmp_path / "big"
    src.write_bytes(TEXT * 8)
    p = subprocess.Popen([*nncomp_cmd, "-p", "fast", "-T", "2", "-B", "40k", str(src)],
                         stderr=subprocess.PIPE)
    deadline = time.time() + 300  # a hang guard, not a speed check
    while time.time() < deadline and len([k for k in _workers(p.pid) if _alive(k)]) < 2:
        time.sleep(0.05)
    workers = _workers(p.pid)
    assert len(workers) >= 2, "no workers started"
    time.sleep(1.0)
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=300)
    assert p.returncode == 143, err.decode()
    assert sorted(os.listdir(tmp_path)) == ["big"]
    deadline = time.time() + 30
    while time.time() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.1)
    assert not any(_alive(w) for w in workers)


needs_ray = pytest.mark.skipif(importlib.util.find_spec("ray") is None,
                               reason="Ray is not installed (pip install 'nncomp[cluster]')")


@pytest.fixture(scope="module")
def ray_cluster():
    """Three Ray nodes of one CPU each on this machine."""
    import ray
    from ray.cluster_utils import Cluster
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    for _ in range(2):
        cluster.add_node(num_cpus=1)
    yield cluster
    ray.shutdown()
    cluster.shutdown()


def _ray_tasks() -> list[int]:
    pids = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/cmdline", "rb") as f:
                    if f.read().startswith(b"ray::" + nncomp.cluster.TASK_NAME.encode()):
                        pids.append(int(p))
            except OSError:
                pass
    return pids


@needs_ray
def test_a_ray_cluster_writes_the_same_archive_through_a_dead_worker(ray_cluster):
    """Blocks as Ray tasks on three nodes, one worker killed mid-task: Ray runs the task again
    and the archive is the local one, byte for byte; the cluster decodes it too. The blocks are
    in 2 warm chains: each frame's network goes to the task of the frame 2 after it."""
    data = TEXT[:8000]
    local = _archive(data, block_size=1000, threads=1, warm=2)
    killed: list[int] = []

    def kill_one():
        deadline = time.time() + 300
        while time.time() < deadline and not killed:
            if tasks := _ray_tasks():
                time.sleep(0.5)
                os.kill(tasks[0], signal.SIGKILL)
                killed.append(tasks[0])
            time.sleep(0.02)
    t = threading.Thread(target=kill_one, daemon=True)
    t.start()
    assert _archive(data, block_size=1000, cluster=ray_cluster.address, warm=2) == local
    assert killed, "no Ray task was seen running"
    back = io.BytesIO()
    assert nncomp.decompress_stream(io.BytesIO(local), back, cluster=ray_cluster.address) == len(data)
    assert back.getvalue() == data


@needs_ray
def test_the_cli_takes_a_cluster_from_the_environment(tmp_path, ray_cluster):
    src = tmp_path / "f"
    src.write_bytes(TEXT[:6000])
    p = run_cli(["-p", "test", "-B", "2000", "--no-fallback", "-k", str(src)],
                env={"NNCOMP_CLUSTER": ray_cluster.address})
    assert p.returncode == 0, p.stderr.decode()
    local = _archive(src.read_bytes(), block_size=2000, threads=1)
    assert (tmp_path / "f.nnc").read_bytes() == local
    # Decompressing reads the same option (one click option serves both directions); the
    # cluster's decoding is checked through the API above.


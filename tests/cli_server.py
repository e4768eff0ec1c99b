"""The CLI as real processes, forked from one that has imported it.

`python -m nncomp` spends ~2 s importing torch before it reads an argument; a suite that runs
the CLI a hundred times spends minutes on that alone. This module's server imports the CLI once
(and never runs a torch operation, so no thread pool is copied), then forks one child per run:
each child is a process of its own (its own stdin, stdout and stderr pipes, environment, working
directory, exit status, signals), which runs `nncomp.cli.main.main(args)` as `python -m nncomp
ARGS` does, and ends with os._exit. What only a fresh interpreter shows (what gets imported, entry
points, `tar -I`) stays with real `subprocess` runs in the tests that check it.

    server = CliServer()
    p = server.run(["-p", "test", "-c", "file"], input=None, env=None, cwd=None)
    p.returncode, p.stdout, p.stderr          # as subprocess.run(..., capture_output=True)
"""
from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import threading
from typing import Optional

MAX_REQUEST = 1 << 20


class CliServer:
    """A server process, and run(): one CLI run in a child forked from it."""

    def __init__(self) -> None:
        self._sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        self._proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), str(theirs.fileno())],
                                      pass_fds=[theirs.fileno()], cwd=root)
        theirs.close()
        self._lock = threading.Lock()

    def run(self, args: list[str], input: Optional[bytes] = None, env: Optional[dict] = None,
            cwd=None, timeout: int = 300) -> subprocess.CompletedProcess:
        request = json.dumps({"args": list(args), "env": {**os.environ, **(env or {})},
                              "cwd": str(cwd or os.getcwd()), "timeout": timeout}).encode()
        pipes = [os.pipe() for _ in range(3)]  # the child's stdin, stdout, stderr
        theirs = [pipes[0][0], pipes[1][1], pipes[2][1]]
        with self._lock:
            socket.send_fds(self._sock, [request], theirs)
            for fd in theirs:
                os.close(fd)
            out: dict[int, bytes] = {}

            def feed() -> None:
                with open(pipes[0][1], "wb") as f:
                    try:
                        f.write(input or b"")
                    except BrokenPipeError:  # the CLI did not read all of it
                        pass

            def drain(i: int) -> None:
                with open(pipes[i][0], "rb") as f:
                    out[i] = f.read()
            threads = [threading.Thread(target=feed), *(threading.Thread(target=drain, args=(i,))
                                                        for i in (1, 2))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            (code,) = struct.unpack("<i", self._sock.recv(4))
        return subprocess.CompletedProcess([sys.executable, "-m", "nncomp", *args], code,
                                           out[1], out[2])

    def close(self) -> None:
        self._sock.close()  # the server reads end-of-file and exits
        self._proc.wait(timeout=30)


def _child(request: dict, fds: list[int]) -> None:
    """In the forked child: become `python -m nncomp ARGS` with the request's pipes."""
    import signal
    import traceback
    for i, fd in enumerate(fds):
        os.dup2(fd, i)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = [sys.argv[0], *request["args"]]
    signal.alarm(request["timeout"])  # a hang guard: SIGALRM ends the child
    code = 0
    try:
        from nncomp.cli.main import main
        main(request["args"])
    except SystemExit as e:  # as the interpreter treats it
        if isinstance(e.code, int) or e.code is None:
            code = e.code or 0
        else:
            print(e.code, file=sys.stderr)
            code = 1
    except BaseException:
        traceback.print_exc()
        code = 1
    for f in (sys.stdout, sys.stderr):
        try:
            f.flush()
        except Exception:
            pass
    os._exit(code)


def serve(fd: int) -> None:
    sock = socket.socket(fileno=fd)
    import importlib
    # What a run imports: the CLI, torch, numba and the engine (never run here).
    for name in ("nncomp.cli.main", "nncomp.compressor", "nncomp.engine.loop"):
        importlib.import_module(name)
    while True:
        msg, fds, _, _ = socket.recv_fds(sock, MAX_REQUEST, 3)
        if not msg:
            return
        pid = os.fork()
        if pid == 0:
            sock.close()
            _child(json.loads(msg), fds)
        for f in fds:
            os.close(f)
        _, status = os.waitpid(pid, 0)
        sock.send(struct.pack("<i", os.waitstatus_to_exitcode(status)))


if __name__ == "__main__":
    sys.path.insert(0, os.getcwd())
    serve(int(sys.argv[1]))

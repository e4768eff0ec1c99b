"""ZPAQ streams in ZPAQ frames (container kind 4): written by libzpaq (the `zpaq` binding) at
method 5, checked here before anything decodes them, decoded by a child process under limits.

A ZPAQ stream carries its own model: a list of components with their table sizes, and a ZPAQL
program (HCOMP) that computes their contexts, run once per byte; the coded data may start with
a second program (PCOMP, a post-processor) run once per output byte. So a crafted stream with
valid checksums could ask for tables of 2^32 entries or loop forever, and libzpaq has no step
limit. Before decoding, `check` parses the stream (one block, one unnamed segment, nothing after
it), computes its memory as libzpaq does (ZPAQL::memory) and refuses HCOMP programs that jump
backwards (libzpaq's method-5 programs never do), so every byte's context costs a bounded number
of steps. A PCOMP program lies inside the coded data and cannot be checked without decoding it,
so `decode` runs libzpaq in a child process whose address space and CPU time are limited
(ZPAQ_CPU_BASE + ZPAQ_CPU_PER_BYTE per output byte: ~8x libzpaq's own time for nncomp's frames
on a 2-core AMD EPYC) and whose output must be exactly the frame's length.
"""
from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
from typing import Optional

from ..errors import CorruptDataError, LimitError

TAG = b"7kSt\xa0\x31\x83\xd3\x8c\xb2\x28\xb0\xd3"  # libzpaq's 13-byte block locator
METHOD = 5  # libzpaq's strongest built-in method, as `zpaq a -m5`
# Component types (CONST CM ICM MATCH AVG MIX2 MIX ISSE SSE) and their sizes in the header.
COMPSIZE = {1: 2, 2: 3, 3: 2, 4: 3, 5: 4, 6: 6, 7: 6, 8: 3, 9: 5}
CM, ICM, MATCH, MIX2, MIX, ISSE, SSE = 2, 3, 4, 6, 7, 8, 9
JT, JF, JMP, LJ = 39, 47, 63, 255  # ZPAQL's jumps: relative (a signed byte) and long (absolute)
# The longest frame nncomp writes or reads: libzpaq's method-5 memory grows with the block
# (its header asks 86 MiB at 150 kB, 296 MiB at 10 MB, 783 MiB at 32 MiB) and the decoder
# holds the whole output.
ZPAQ_MAX_LENGTH = 32 << 20
ZPAQ_MAX_MEMORY = 1 << 30  # what a header may ask for (ZPAQL::memory)
# Output bytes per coded byte a frame may claim: 65 on kennedy.xls, 19 on ptt5, 3-5 on text.
# More repetitive data is left to the other frames (the encoder checks its own streams), so that
# a small crafted frame cannot claim a long output and with it a long CPU-time bound.
ZPAQ_MAX_EXPANSION = 1024
# The decoder's CPU-time limit: libzpaq decodes nncomp's method-5 frames at ~260 kB/s
# (4 µs a byte) on one core of a 2-core AMD EPYC (AVX2); 30 µs a byte leaves ~8x for slower CPUs.
ZPAQ_CPU_BASE, ZPAQ_CPU_PER_BYTE = 10.0, 30e-6
_KILLED = {getattr(signal, name) for name in ("SIGXCPU", "SIGKILL") if hasattr(signal, name)}
# The child sets its own limits (argv: address space, CPU seconds) before libzpaq loads: a
# preexec_fn would run Python between fork and exec, unsafe beside the network's threads.
_LIMITS = ("import sys\n"
           "try:\n"
           "    import resource\n"
           "except ImportError:\n"
           "    resource = None\n"
           "if resource is not None:\n"
           "    space, cpu = int(sys.argv[1]), int(sys.argv[2])\n"
           "    resource.setrlimit(resource.RLIMIT_AS, (space, space))\n"
           "    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))\n")
_CHILD = ("import zpaq\n"
          "sys.stdout.buffer.write(zpaq.decompress(sys.stdin.buffer.read(), threads=1))\n")


def check(stream: bytes, length: int) -> int:
    """The memory (bytes) libzpaq allocates for this stream; CorruptDataError where it is not
    one block of one unnamed segment that libzpaq's parser accepts with a loop-free HCOMP,
    LimitError where it asks for more than ZPAQ_MAX_MEMORY."""
    check_claim(length, len(stream))
    if not stream.startswith(TAG + b"zPQ") or len(stream) < len(TAG) + 8:
        raise CorruptDataError("zpaq frame: no ZPAQ block")
    pos = len(TAG) + 3
    level, ztype, hsize = struct.unpack_from("<BBH", stream, pos)
    if level not in (1, 2) or ztype != 1:
        raise CorruptDataError("zpaq frame: unsupported ZPAQ level or type")
    header = stream[pos + 4:pos + 4 + hsize]  # hh hm ph pm n, COMP, 0, HCOMP, 0
    if len(header) < hsize or hsize < 7:
        raise CorruptDataError("zpaq frame: truncated header")
    memory, hcomp = _components(header)
    _check_hcomp(hcomp)
    if memory > ZPAQ_MAX_MEMORY:
        raise LimitError(f"zpaq frame asks for {memory / 2**20:,.0f} MiB, over nncomp's bound of "
                         f"{ZPAQ_MAX_MEMORY >> 20} MiB")
    _check_segment(stream, pos + 4 + hsize)
    return memory


def check_claim(length: int, coded: int) -> None:
    """CorruptDataError where a frame of `coded` bytes claims an output it cannot hold."""
    if length > ZPAQ_MAX_LENGTH or length > ZPAQ_MAX_EXPANSION * (coded + 16):
        raise CorruptDataError("zpaq frame claims more output than its coded bytes can hold")


def _components(header: bytes) -> tuple[int, bytes]:
    """ZPAQL::memory of the header's COMP section, and its HCOMP program."""
    hh, hm, ph, pm, n = header[:5]
    if max(hh, hm, ph, pm) > 32:
        raise CorruptDataError("zpaq frame: machine too large")
    if n == 0:  # libzpaq's stored blocks: nncomp writes stored frames instead
        raise CorruptDataError("zpaq frame: no model")
    memory = 2 ** (hh + 2) + 2 ** hm + 2 ** (ph + 2) + 2 ** pm + len(header) + 300
    cp = 5
    for _ in range(n):
        if cp >= len(header) or header[cp] not in COMPSIZE:
            raise CorruptDataError("zpaq frame: bad component")
        kind, size = header[cp], COMPSIZE[header[cp]]
        if cp + size > len(header):
            raise CorruptDataError("zpaq frame: COMP overflows its header")
        args = header[cp + 1:cp + size]
        table = 2 ** args[0] if kind != 1 else 0
        memory += {CM: 4 * table, ICM: 64 * table + 1024, MIX2: 2 * table, ISSE: 64 * table + 2048,
                   SSE: 128 * table}.get(kind, 0)
        if kind == MATCH:
            memory += 4 * table + 2 ** args[1]
        elif kind == MIX:
            memory += 4 * table * args[2]
        cp += size
    if cp >= len(header) or header[cp] != 0:
        raise CorruptDataError("zpaq frame: missing COMP end")
    hcomp = header[cp + 1:]
    if not hcomp or hcomp[-1] != 0:
        raise CorruptDataError("zpaq frame: missing HCOMP end")
    return memory, hcomp[:-1]


def _check_hcomp(code: bytes) -> None:
    """Refuse an HCOMP program with a backward (or self) jump: without one, a byte's context
    runs each instruction at most once."""
    pc = 0
    while pc < len(code):
        op = code[pc]
        if op == LJ:
            if pc + 2 >= len(code) or code[pc + 1] + 256 * code[pc + 2] <= pc:
                raise CorruptDataError("zpaq frame: HCOMP jumps backwards")
            pc += 3
        elif op & 7 == 7:  # an instruction with a one-byte operand
            if pc + 1 >= len(code):
                raise CorruptDataError("zpaq frame: HCOMP ends inside an instruction")
            if op in (JT, JF, JMP) and code[pc + 1] >= 128:
                raise CorruptDataError("zpaq frame: HCOMP jumps backwards")
            pc += 2
        else:
            pc += 1


def _check_segment(stream: bytes, pos: int) -> None:
    """One segment with an empty file name, its coded data (ended by four zero bytes, which the
    coder never writes inside it), its end marker (with or without SHA-1), the block's end and
    nothing after it."""
    if stream[pos:pos + 2] != b"\x01\x00":
        raise CorruptDataError("zpaq frame: not one unnamed segment")
    end_comment = stream.find(b"\x00", pos + 2)
    if end_comment < 0 or end_comment - pos > 32 or stream[end_comment + 1:end_comment + 2] != b"\x00":
        raise CorruptDataError("zpaq frame: bad segment header")
    end = stream.find(b"\x00\x00\x00\x00", end_comment + 2)
    if end < 0:
        raise CorruptDataError("zpaq frame: coded data does not end")
    tail = stream[end + 4:].lstrip(b"\x00")  # the coder's last byte may be a zero too
    if not (tail == b"\xfe\xff" or (len(tail) == 23 and tail[0] == 0xfd and tail[-1] == 0xff)):
        raise CorruptDataError("zpaq frame: bad end of block")


def encode(data: bytes) -> Optional[bytes]:
    """data as a method-5 ZPAQ stream that `check` accepts and `decode` turns back into data
    (both are run), or None."""
    import zpaq
    if len(data) > ZPAQ_MAX_LENGTH:
        return None
    stream = zpaq.compress(data, level=METHOD, threads=1)
    try:
        return stream if decode(stream, len(data)) == data else None  # decode runs check
    except (CorruptDataError, LimitError):
        return None


def decode(stream: bytes, length: int, memlimit: Optional[int] = None,
           cpu_scale: float = 1.0) -> bytes:
    """The stream's data, decoded by libzpaq in a child process limited to its memory and to
    cpu_scale times ZPAQ's CPU-time bound (POSIX; elsewhere, without the `resource` module, to a
    wall-clock time of 4x that bound); LimitError where that memory is over memlimit (None:
    only the format's bound)."""
    memory = check(stream, length)
    seconds = (ZPAQ_CPU_BASE + ZPAQ_CPU_PER_BYTE * length) * cpu_scale
    # the interpreter and libzpaq (~20 MiB), its tables, the input, the output and its copies
    address_space = (128 << 20) + int(1.25 * memory) + len(stream) + 4 * length
    if memlimit is not None and address_space > memlimit:
        raise LimitError(f"decoding this zpaq frame needs about {address_space / 2**20:,.0f} MiB, "
                         f"over the memory limit of {memlimit / 2**20:,.0f} MiB (--memlimit, "
                         "NNCOMP_MEMLIMIT)")

    try:
        child = subprocess.run(
            [sys.executable, "-c", _LIMITS + _CHILD, str(address_space), str(int(seconds) + 1)],
            input=stream, capture_output=True, timeout=None if os.name == "posix" else 4 * seconds)
    except subprocess.TimeoutExpired:
        child = None
    if child is None or -child.returncode in _KILLED:
        raise CorruptDataError(f"zpaq frame does not decode within its bound of {seconds:.0f} "
                               "CPU seconds")
    if child.returncode != 0:
        why = child.stderr.decode(errors="replace").strip().splitlines()
        raise CorruptDataError("zpaq frame does not decode"
                               + (f" ({why[-1][:200]})" if why else f" (exit {child.returncode})"))
    if len(child.stdout) != length:
        raise CorruptDataError("zpaq frame decodes to the wrong length")
    return child.stdout

"""What decides the floats, recorded at compression and checked before decompression.

Engine 3 (config `exact`, every preset now) computes its probabilities exactly
(nncomp/net/exact.py): only the format and the config decide the bits, so its fingerprint names
only the engine and nothing about the machine is recorded or checked. What follows is about
engine 2, the float engine, whose archives keep decoding under its own rules.

Its decoder must compute bit-identical probabilities. These change the bits: the engine and
its arithmetic (ENGINE_VERSION), torch and constriction versions, the device, the kernels'
instruction set (ATen's CPU capability and the ISA flags oneDNN dispatches on), the GPU
model, the dtype and the thread count. The CPU model name and nncomp's own version are
recorded for diagnosis but not required to match.

On a GPU the same holds for one GPU model with one CUDA/cuDNN build: kernels are chosen by the
chip and the libraries, so the "gpu" field names all three. An archive coded on a GPU decodes on
the same kind of GPU only.

torch is imported inside the functions that use it, through load_torch(): the CLI checks
--device and reads headers without it (importing it takes ~2 s).
"""
from __future__ import annotations

import contextlib
import os
import sys
from typing import Iterator

from .._version import __version__
from ..errors import EnvironmentMismatchError
from ..format import coder, container
from ..system.machine import available_cores, cpu_info, load_torch, runnable_others

# cuBLAS is deterministic only with a fixed workspace; it reads this when it first starts, so it
# is set before any CUDA work (a user's own value, if deterministic, is kept).
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")

# Bump whenever a change to model, engine or coder changes the coded bits.
ENGINE_VERSION = 2  # the float engine
EXACT_ENGINE = container.EXACT_FINGERPRINT["engine"]  # 3, the exact engine: any machine decodes

REQUIRED = ("engine", "torch", "constriction", "device", "gpu", "cpu_capability", "isa", "threads")


def _deterministic_kernels(torch, mode: bool) -> None:
    """torch.use_deterministic_algorithms(mode) without the part for torch.compile: that one
    imports torch._inductor and torch._dynamo (1.7 s, in every model run), only to set their
    own flag, which matters only once they are loaded, and then it is set."""
    if "torch._inductor.config" in sys.modules or not hasattr(torch._C, "_set_deterministic_algorithms"):
        torch.use_deterministic_algorithms(mode)
    else:
        torch._C._set_deterministic_algorithms(mode)


def cuda_available() -> bool:
    torch = load_torch()
    return torch.cuda.is_available()


def device_syntax(device: str) -> str:
    """A --device value that names a device: 'cpu', 'cuda' or 'cuda:N' (ValueError if not)."""
    kind, _, index = device.partition(":")
    if (kind == "cpu" and index) or kind not in ("cpu", "cuda") or (index and not index.isdigit()):
        raise ValueError(f"device {device!r}: use 'cpu', 'cuda' or 'cuda:N'")
    return device


def check_device(device: str) -> str:
    """Validate a --device value: 'cpu', 'cuda' or 'cuda:N' (N an existing GPU)."""
    kind, _, index = device_syntax(device).partition(":")
    if kind == "cpu":
        return device
    if not cuda_available():
        raise EnvironmentMismatchError(f"device {device!r}: no CUDA GPU is available here")
    torch = load_torch()
    if index and int(index) >= torch.cuda.device_count():
        raise EnvironmentMismatchError(f"device {device!r}: this machine has "
                                       f"{torch.cuda.device_count()} GPU(s)")
    return device


def gpu_identity(device: str) -> str:
    """The GPU model, its compute capability and the CUDA and cuDNN builds torch uses."""
    torch = load_torch()
    dev = torch.device(device)
    major, minor = torch.cuda.get_device_capability(dev)
    return (f"{torch.cuda.get_device_name(dev)} sm_{major}{minor} cuda {torch.version.cuda} "
            f"cudnn {torch.backends.cudnn.version()}")


def native_bf16(device: str) -> bool:
    """Whether device computes bfloat16 in hardware. A CPU without AVX512-BF16 or AMX has no
    oneDNN bf16 LSTM at all (nn.LSTM under bf16 autocast raises), and its other bf16 kernels
    convert to float32 and back around every product: slower than float32, never faster."""
    if device.startswith("cuda"):
        torch = load_torch()
        return torch.cuda.get_device_capability(torch.device(device)) >= (8, 0)
    isa = cpu_info()[1].split(",")
    return "avx512_bf16" in isa or "amx_bf16" in isa


def check_dtypes(dtypes: tuple[str, ...], device: str) -> None:
    """Refuse to decode bf16 arithmetic on a device that cannot run it (--ignore-fingerprint
    included: the kernels do not exist there, so trying can only crash)."""
    if "bfloat16" in dtypes and not native_bf16(device):
        raise EnvironmentMismatchError(
            f"the archive was coded in bfloat16, which this {device.split(':')[0].upper()} has "
            "no instructions for (a CPU needs AVX512-BF16 or AMX, a GPU compute capability 8.0): "
            "decompress it on a machine that has them")


def fingerprint(device: str, dtype: str, threads: int, exact: bool = False) -> dict:
    """What an archive records: for the exact engine only its number (container.EXACT_FINGERPRINT:
    the same bytes from any machine); for the float engine, everything that decides its floats."""
    if exact:
        return dict(container.EXACT_FINGERPRINT)
    torch = load_torch()
    cpu, isa = cpu_info()
    gpu = gpu_identity(device) if device.startswith("cuda") else ""
    return {
        "engine": ENGINE_VERSION,
        "nncomp": __version__,
        "torch": torch.__version__,
        "constriction": coder.VERSION,
        "device": device.split(":")[0],
        "gpu": gpu,
        "cpu": cpu,
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "isa": isa,
        "dtype": dtype,
        "threads": threads,
    }


def check(recorded: dict, device: str) -> None:
    """Raise EnvironmentMismatchError naming every field this machine cannot reproduce."""
    engine = recorded.get("engine")
    if engine == EXACT_ENGINE:
        return  # exact: the same bits on any machine
    if not isinstance(engine, int) or engine > EXACT_ENGINE:
        raise EnvironmentMismatchError(f"the archive was written by engine {engine!r}, newer than "
                                       f"this nncomp's ({EXACT_ENGINE}): upgrade nncomp")
    if device.startswith("cuda") and not cuda_available():
        raise EnvironmentMismatchError(
            f"the archive was coded on a GPU ({recorded.get('gpu', '?')!s:.80}) and this machine "
            "has no CUDA GPU: decompress it on the same kind of GPU")
    here = fingerprint(device, recorded.get("dtype", "float32"), recorded.get("threads", 1))
    diffs = [f"{k}: archive {recorded.get(k)!r}, here {here[k]!r}"
             for k in REQUIRED if k != "threads" and recorded.get(k) != here[k]]
    if diffs:
        raise EnvironmentMismatchError(
            "this machine cannot reproduce the encoder's arithmetic ("
            + "; ".join(diffs) + "); use --ignore-fingerprint to try anyway")


def default_threads(exact: bool = True) -> int:
    """Torch threads when none are asked for: two where two cores are free (faster than one on
    large inputs), else one. With every core busy, OpenMP threads that wait for each other
    collapse (5 kB with default: 40.7 s with two threads beside one busy process per core, 13.3 s
    with one; benchmarks/2026-12-07-zen4-busy-machine). That is for the exact engine, whose bits
    do not depend on the count; the float engine records its count and its decoder runs the
    same, so it keeps two wherever the machine has two cores, busy or not."""
    if not exact:
        return max(1, min(2, os.cpu_count() or 1))
    return max(1, min(2, available_cores() - runnable_others()))


def _cuda_switches() -> tuple:
    """Global switches that change which kernels run (and so the floats) on a GPU, and the value
    each run pins them to: a caller's own settings must not make encoder and decoder differ."""
    torch = load_torch()
    return (
        (torch.backends.cudnn, "deterministic", True),
        (torch.backends.cudnn, "benchmark", False),
        (torch.backends.cudnn, "allow_tf32", False),
        (torch.backends.cuda.matmul, "allow_tf32", False),
        (torch.backends.cuda.matmul, "allow_bf16_reduced_precision_reduction", True),
        (torch.backends.cuda.matmul, "allow_fp16_reduced_precision_reduction", True),
    )


@contextlib.contextmanager
def torch_settings(threads: int) -> Iterator[None]:
    """Pin the thread count, deterministic kernels and the GPU's precision switches for one run,
    then restore them."""
    torch = load_torch()
    switches = _cuda_switches()
    old_threads = torch.get_num_threads()
    old_det = torch.are_deterministic_algorithms_enabled()
    old_switches = [getattr(obj, name) for obj, name, _ in switches]
    old_fill = torch.utils.deterministic.fill_uninitialized_memory
    torch.set_num_threads(threads)
    _deterministic_kernels(torch, True)
    # Deterministic mode also fills every new empty tensor with NaN, to expose kernels that read
    # memory they never wrote; none of ours does (the archives are the same without it), and the
    # fills cost 5 % of a training block on the CPU and a kernel launch each on a GPU.
    torch.utils.deterministic.fill_uninitialized_memory = False
    for obj, name, value in switches:
        setattr(obj, name, value)
    try:
        yield
    finally:
        torch.set_num_threads(old_threads)
        _deterministic_kernels(torch, old_det)
        torch.utils.deterministic.fill_uninitialized_memory = old_fill
        for (obj, name, _), value in zip(switches, old_switches):
            setattr(obj, name, value)

"""Energy of a piece of work, with the method always named.

- `rapl`: Linux powercap package counters (/sys/class/powercap/intel-rapl:N/energy_uj), summed
  over CPU packages, wrap-around handled with max_energy_range_uj. Whole-package energy: it
  includes whatever else the machine does meanwhile.
- `nvml`: nvmlDeviceGetTotalEnergyConsumption (millijoules) of each GPU used, via nvidia-ml-py.
- `estimate`: CPU-seconds of this process x an assumed power per busy core, plus GPU seconds x
  an assumed board power. Both assumptions are flags of `nncomp bench`.
- `unavailable`: none applies; the figure is None, never a silent zero.

Everyday units for the report are here too.
"""
from __future__ import annotations

import glob
import os
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional

try:
    import resource
except ImportError:  # not POSIX: the children's CPU time is not counted
    resource = None  # type: ignore[assignment]

POWERCAP = "/sys/class/powercap"
DEFAULT_CPU_WATTS_PER_CORE = 10.0  # a busy desktop/laptop core at turbo, order of magnitude
DEFAULT_GPU_WATTS = 350.0  # board power of a large GPU under load, order of magnitude

# Everyday equivalents (watt-hours).
PHONE_CHARGE_WH = 15.0
EV_WH_PER_KM = 150.0
RACLETTE_W = 1500.0
BULB_W = 7.0


@dataclass
class Reading:
    joules: Optional[float]
    method: str  # rapl, nvml, estimate, unavailable
    detail: str = ""


class RaplCounter:
    """Sum of the package-level RAPL domains under a powercap root."""

    def __init__(self, root: str = POWERCAP):
        self.domains = []
        self.reason = ""  # why there are none: no RAPL domains, or not readable by this user
        found = [d for d in sorted(glob.glob(os.path.join(root, "intel-rapl:*")))
                 if os.path.basename(d).count(":") == 1]  # skip sub-domains (core, uncore, dram)
        denied = False
        for d in found:
            try:
                rng = int(open(os.path.join(d, "max_energy_range_uj")).read())
                int(open(os.path.join(d, "energy_uj")).read())
            except PermissionError:
                denied = True
                continue
            except (OSError, ValueError):
                continue
            self.domains.append((os.path.join(d, "energy_uj"), rng))
        if not self.domains:
            self.reason = ("RAPL counters exist but this user may not read them (permission denied)"
                           if denied else f"no RAPL counters under {root} (a VM or a CPU without them)")

    def available(self) -> bool:
        return bool(self.domains)

    def read(self) -> list[int]:
        return [int(open(path).read()) for path, _ in self.domains]

    def joules(self, before: list[int], after: list[int]) -> float:
        total = 0
        for (_, rng), b, a in zip(self.domains, before, after):
            total += a - b if a >= b else a + rng - b  # the counter wrapped (at most once)
        return total / 1e6


class NvmlCounter:
    """Total energy of the given GPUs through NVML; `nvml` may be a fake for tests."""

    def __init__(self, indices: list[int], nvml: Any = None):
        self.nvml, self.handles = nvml, []
        try:
            if self.nvml is None:
                import pynvml as nvml_mod  # nvidia-ml-py
                self.nvml = nvml_mod
            self.nvml.nvmlInit()
            self.handles = [self.nvml.nvmlDeviceGetHandleByIndex(i) for i in indices]
            self.read()
        except Exception:
            self.handles = []

    def available(self) -> bool:
        return bool(self.handles)

    def read(self) -> list[int]:
        return [int(self.nvml.nvmlDeviceGetTotalEnergyConsumption(h)) for h in self.handles]

    @staticmethod
    def joules(before: list[int], after: list[int]) -> float:
        return sum(a - b for b, a in zip(before, after)) / 1e3


def cpu_seconds() -> float:
    """CPU seconds of this process and of its children that have ended: nncomp decodes ZPAQ
    frames in a child process, whose work is the codec's too (getrusage: os.times counts in
    10 ms ticks, coarser than a fast codec's run)."""
    own = time.process_time()
    if resource is None:
        return own
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own + children.ru_utime + children.ru_stime


class EnergyMeter:
    """meter.measure(fn) runs fn and returns (its result, seconds, Reading)."""

    def __init__(self, cpu_watts_per_core: float = DEFAULT_CPU_WATTS_PER_CORE,
                 gpu_watts: float = DEFAULT_GPU_WATTS, gpus: Optional[list[int]] = None,
                 rapl: Optional[RaplCounter] = None, nvml: Optional[NvmlCounter] = None,
                 allow_estimate: bool = True):
        self.cpu_watts, self.gpu_watts = cpu_watts_per_core, gpu_watts
        self.rapl = rapl if rapl is not None else RaplCounter()
        self.gpus = gpus or []
        self.nvml = nvml if nvml is not None else (NvmlCounter(self.gpus) if self.gpus else None)
        self.allow_estimate = allow_estimate

    def method(self) -> str:
        if self.rapl.available():
            return "rapl+nvml" if self.gpus and self.nvml and self.nvml.available() else "rapl"
        if self.gpus and self.nvml and self.nvml.available() and not self.allow_estimate:
            return "nvml"
        return "estimate" if self.allow_estimate else "unavailable"

    def measure(self, fn: Callable[[], Any]) -> tuple[Any, float, float, Reading]:
        """Run fn; return (result, wall seconds, CPU seconds of this process and of the child
        processes fn waited for, energy)."""
        use_rapl = self.rapl.available()
        nvml = self.nvml if self.gpus and self.nvml and self.nvml.available() else None
        r0 = self.rapl.read() if use_rapl else []
        g0 = nvml.read() if nvml is not None else []
        c0, t0 = cpu_seconds(), time.perf_counter()
        result = fn()
        wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
        parts, methods, details = [], [], []
        if use_rapl:
            parts.append(self.rapl.joules(r0, self.rapl.read()))
            methods.append("rapl")
        elif self.allow_estimate:
            parts.append(cpu * self.cpu_watts)
            methods.append("estimate")
            details.append(f"{cpu:.3f} CPU-s x {self.cpu_watts:g} W/core")
        if nvml is not None:
            parts.append(nvml.joules(g0, nvml.read()))
            methods.append("nvml")
        elif self.gpus and self.allow_estimate:
            parts.append(wall * self.gpu_watts * len(self.gpus))
            methods.append("estimate")
            details.append(f"{wall:.3f} GPU-s x {self.gpu_watts:g} W")
        if not parts:
            return result, wall, cpu, Reading(None, "unavailable")
        method = "+".join(dict.fromkeys(methods))
        return result, wall, cpu, Reading(sum(parts), method, "; ".join(details))


def everyday(wh: float) -> dict[str, float]:
    """The same energy as phone charges, metres of electric car, raclette seconds, bulb hours."""
    return {
        "phone_charges": wh / PHONE_CHARGE_WH,
        "ev_metres": wh / EV_WH_PER_KM * 1000,
        "raclette_seconds": wh / RACLETTE_W * 3600,
        "bulb_hours": wh / BULB_W,
    }


def everyday_text(wh: float) -> str:
    e = everyday(wh)
    return (f"{wh:.3g} Wh ≈ {e['phone_charges']:.3g} phone charges ≈ {e['ev_metres']:.3g} m in an "
            f"electric car ≈ {e['raclette_seconds']:.3g} s of a 1500 W raclette grill ≈ "
            f"{e['bulb_hours']:.3g} h of a 7 W bulb")

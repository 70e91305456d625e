"""Device choice: what is here (GPU names and free memory, Apple MPS, CPU threads), auto
(CUDA, then MPS, then CPU), and one clear message when a device asked for is absent.

``resolve_device`` falls back to the CPU with a note (the window: a setting saved on
another machine must not stop a model from loading); ``require_device`` refuses instead
(the command line: ``--device cuda`` on a machine without one must not quietly turn an
hour on a GPU into a day on the CPU). Both messages list the devices that are present.
"""

from __future__ import annotations

import os

import torch

NAMES = ("auto", "cpu", "cuda", "mps")


class DeviceError(ValueError):
    """A device that is not here; the message lists the ones that are."""


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps and mps.is_available())


def _gib(n: int) -> str:
    return f"{n / 2**30:.1f} GiB"


def gpu_summary(index: int) -> str:
    """``NVIDIA H100 80GB HBM3, 75.2 GiB free of 79.1 GiB`` (the free figure when the driver
    answers; a GPU busy with another process still lists)."""
    name = torch.cuda.get_device_name(index)
    try:
        free, total = torch.cuda.mem_get_info(index)
        return f"{name}, {_gib(free)} free of {_gib(total)}"
    except Exception:  # a GPU in exclusive use by another process, a driver hiccup
        return name


def cpu_summary() -> str:
    cores = os.cpu_count() or 1
    return f"{torch.get_num_threads()} torch threads, {cores} logical cores"


def device_choices() -> list[tuple[str, bool, str]]:
    """(name, available, description) for each choice, for menus that grey out what is
    missing: auto, cpu, cuda, mps, then ``cuda:i`` for each GPU when there are several."""
    cuda = torch.cuda.is_available()
    count = torch.cuda.device_count() if cuda else 0
    if cuda:
        cuda_why = gpu_summary(0) if count == 1 else f"{count} GPUs; cuda means cuda:0"
    else:
        cuda_why = ("no CUDA GPU or driver found" if torch.version.cuda else
                    "this torch build has no CUDA support")
    mps = _mps_available()
    choices = [
        ("auto", True, f"the best here: {present_devices()[0]}"),
        ("cpu", True, cpu_summary()),
        ("cuda", cuda, cuda_why),
        ("mps", mps, "Apple GPU (Metal)" if mps else "Apple MPS needs macOS on Apple silicon"),
    ]
    if count > 1:
        choices += [(f"cuda:{i}", True, gpu_summary(i)) for i in range(count)]
    return choices


def present_devices() -> list[str]:
    """One line per device that is here, best first (what ``auto`` would pick first)."""
    out = []
    if torch.cuda.is_available():
        out += [f"cuda:{i} ({gpu_summary(i)})" for i in range(torch.cuda.device_count())]
    if _mps_available():
        out.append("mps (Apple GPU)")
    out.append(f"cpu ({cpu_summary()})")
    return out


def _absent(name: str) -> str | None:
    """Why ``name`` cannot be used here, or None when it can."""
    base, _, index = name.partition(":")
    if base not in NAMES:
        return f"unknown device {name!r}"
    if base == "cuda":
        if not torch.cuda.is_available():
            return f"device {name!r} is not available ({dict((n, w) for n, _, w in device_choices())['cuda']})"
        if index:
            if not index.isdigit() or int(index) >= torch.cuda.device_count():
                return f"device {name!r} is not available (this machine has " \
                       f"{torch.cuda.device_count()} GPU(s): cuda:0 .. cuda:{torch.cuda.device_count() - 1})"
    if base == "mps" and not _mps_available():
        return f"device {name!r} is not available (Apple MPS needs macOS on Apple silicon)"
    if base in ("cpu", "mps", "auto") and index:
        return f"unknown device {name!r}"
    return None


def _pick(name: str) -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    return torch.device(name)


def resolve_device(name: str | None = "auto") -> tuple[torch.device, str | None]:
    """Return (device, message); the message explains a fallback to the CPU (and lists the
    devices that are here), else None."""
    name = (name or "auto").lower()
    why = _absent(name)
    if why is None:
        return _pick(name), None
    return torch.device("cpu"), f"{why}; using CPU (here: {'; '.join(present_devices())})"


def require_device(name: str | None = "auto") -> torch.device:
    """The device ``name`` names; DeviceError listing the present devices when it is absent."""
    name = (name or "auto").lower()
    why = _absent(name)
    if why is not None:
        choose = " (choose auto, cpu, cuda, cuda:N or mps)" if why.startswith("unknown") else ""
        raise DeviceError(f"{why}{choose}. Devices here: {'; '.join(present_devices())}")
    return _pick(name)

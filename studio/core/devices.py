"""Device choice: auto picks CUDA, then Apple MPS, then CPU; unavailable choices fall back."""

from __future__ import annotations

import torch

NAMES = ("auto", "cpu", "cuda", "mps")


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps and mps.is_available())


def device_choices() -> list[tuple[str, bool, str]]:
    """(name, available, reason) for each choice, for menus that grey out what is missing."""
    cuda = torch.cuda.is_available()
    cuda_why = (torch.cuda.get_device_name(0) if cuda else
                "no CUDA GPU or driver found" if torch.version.cuda else
                "this torch build has no CUDA support")
    mps = _mps_available()
    return [
        ("auto", True, "the best available: CUDA, then MPS, then CPU"),
        ("cpu", True, "always available"),
        ("cuda", cuda, cuda_why),
        ("mps", mps, "Apple GPU" if mps else "Apple MPS needs macOS on Apple silicon"),
    ]


def resolve_device(name: str | None = "auto") -> tuple[torch.device, str | None]:
    """Return (device, message); message explains a fallback, else None."""
    name = (name or "auto").lower()
    if name.startswith("cuda") and torch.cuda.is_available():
        return torch.device(name), None
    if name == "mps" and _mps_available():
        return torch.device("mps"), None
    if name == "cpu":
        return torch.device("cpu"), None
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda"), None
        if _mps_available():
            return torch.device("mps"), None
        return torch.device("cpu"), None
    reasons = {n: why for n, ok, why in device_choices()}
    if name.split(":")[0] not in NAMES:
        return torch.device("cpu"), f"unknown device {name!r}; using CPU"
    return torch.device("cpu"), f"device {name!r} is not available ({reasons[name.split(':')[0]]}); using CPU"

"""Mixed precision for training: which autocast dtype a run uses, and its grad scaler.

``--precision auto`` (the default) is bf16 autocast on a CUDA GPU that supports it, fp16
with a ``GradScaler`` on an older one, and fp32 elsewhere; ``bf16``/``fp16`` ask for it
(bf16 works on the CPU too, where it is off by default: on most CPUs it is slower, and
torch autocasts only the LSTM, not the GRU or plain RNN); ``fp32`` turns it off.

Autocast only changes the dtype that matmuls and recurrent kernels compute in: the
weights, AdamW's moments and every checkpoint stay float32 (``--half`` alone stores
float16 weights, and says so in the file). Validation always runs in float32, so its
figures compare with ``sequence-studio eval`` and across runs of any precision.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch

CHOICES = ("auto", "fp32", "bf16", "fp16")


@dataclass(frozen=True)
class Precision:
    name: str                      # "fp32" | "bf16" | "fp16": what this run computes in
    device_type: str               # autocast's device type ("cuda", "cpu", "mps")

    @property
    def dtype(self) -> torch.dtype | None:
        return {"bf16": torch.bfloat16, "fp16": torch.float16}.get(self.name)

    def autocast(self):
        """The context the training step's forward pass runs in."""
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device_type, dtype=self.dtype)

    def scaler(self, init_scale: float | None = None):
        """A GradScaler for fp16 (its small exponent range underflows gradients), else None;
        ``init_scale``: a resumed run's last scale."""
        if self.name != "fp16":
            return None
        if init_scale:
            return torch.amp.GradScaler(self.device_type, init_scale=float(init_scale))
        return torch.amp.GradScaler(self.device_type)


def _cuda_bf16(device: torch.device) -> bool:
    try:
        return bool(torch.cuda.is_bf16_supported(including_emulation=False))
    except TypeError:  # older torch: no including_emulation
        major, _ = torch.cuda.get_device_capability(device)
        return major >= 8


def choose(requested: str, device: torch.device) -> Precision:
    """The precision a run on ``device`` uses; ValueError (one line) for a bad request."""
    requested = (requested or "auto").lower()
    if requested not in CHOICES:
        raise ValueError(f"--precision must be one of {', '.join(CHOICES)}, not {requested!r}")
    kind = device.type
    if requested == "fp32" or (requested == "auto" and kind != "cuda"):
        return Precision("fp32", kind)
    if kind == "cuda":
        if requested == "fp16" or not _cuda_bf16(device):
            if requested == "bf16":
                raise ValueError(f"{torch.cuda.get_device_name(device)} has no bfloat16 support; "
                                 "use --precision fp16 (with a grad scaler) or fp32")
            return Precision("fp16", kind)
        return Precision("bf16", kind)
    if kind == "cpu":
        if requested == "fp16":
            raise ValueError("--precision fp16 needs a CUDA GPU; on the CPU use bf16 or fp32")
        return Precision("bf16", kind)
    if kind == "mps":
        return Precision(requested, kind)
    raise ValueError(f"--precision {requested} is not available on {kind}")

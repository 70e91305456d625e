"""Several processes, one run: PyTorch's own ``torch.distributed`` under ``torchrun``.

``torchrun --nproc-per-node N -m studio train ...`` starts N copies of the train verb and
tells each its place through the environment (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``,
``MASTER_ADDR``/``MASTER_PORT``). :func:`start` reads it, joins the process group (NCCL
for CUDA, gloo for CPU) and says which device this rank trains on (``cuda:LOCAL_RANK``).
Without torchrun it returns ``SINGLE``: one process, no collective is ever called, and the
trainer runs exactly as before.

What the trainer asks of a :class:`Ranks`, and why each is the way it is:
* ``rows(n)``: this rank's contiguous share of a global batch's n rows (names) or lanes
  (text, jazz). Every rank builds the same global batch from the same seed and keeps its
  share, so the global batch is the recipe's ``--batch`` whatever N is.
* ``sum(values)``: one all-reduce of a few float64 numbers (the step's loss sum and stop
  flags, a validation pass's NLL sum and token count).
* ``wrap(model)``: ``DistributedDataParallel``, which averages gradients in backward.
* ``barrier()``: the end of a run, so no rank leaves while rank 0 still writes.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Ranks:
    rank: int = 0
    world: int = 1
    local_rank: int = 0
    backend: str = ""          # "gloo" | "nccl"; "" for one process

    @property
    def main(self) -> bool:
        """Rank 0: the one that writes checkpoints, samples and the event stream."""
        return self.rank == 0

    @property
    def active(self) -> bool:
        return self.world > 1

    def rows(self, n: int) -> slice:
        """This rank's contiguous share of n rows: sizes differ by at most one (the first
        ``n % world`` ranks get one more); with n < world some ranks get none."""
        base, extra = divmod(n, self.world)
        start = self.rank * base + min(self.rank, extra)
        return slice(start, start + base + (1 if self.rank < extra else 0))

    def _comm_device(self) -> torch.device:
        # NCCL reduces CUDA tensors only; gloo takes CPU tensors
        return torch.device("cuda", self.local_rank) if self.backend == "nccl" else torch.device("cpu")

    def sum(self, values) -> list[float]:
        """Each value summed over all ranks (one all-reduce; identity for one process)."""
        values = [float(v) for v in values]
        if not self.active:
            return values
        import torch.distributed as dist

        t = torch.tensor(values, dtype=torch.float64, device=self._comm_device())
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
        return t.tolist()

    def max(self, values) -> list[float]:
        """Each value's maximum over all ranks (identity for one process)."""
        values = [float(v) for v in values]
        if not self.active:
            return values
        import torch.distributed as dist

        t = torch.tensor(values, dtype=torch.float64, device=self._comm_device())
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return t.tolist()

    def sum_tensor(self, tensor: torch.Tensor) -> torch.Tensor:
        """A tensor summed over all ranks (gathering rows each rank filled in a zero tensor)."""
        if not self.active:
            return tensor
        import torch.distributed as dist

        t = tensor.to(self._comm_device(), torch.float64)
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
        return t.to(tensor.device, tensor.dtype)

    def wrap(self, model: torch.nn.Module) -> torch.nn.Module:
        """The module the training step calls: DDP around ``model`` when several ranks run
        (it broadcasts rank 0's weights once, then averages gradients in backward)."""
        if not self.active:
            return model
        from torch.nn.parallel import DistributedDataParallel

        device = next(model.parameters()).device
        ids = [device.index if device.index is not None else self.local_rank] if device.type == "cuda" else None
        return DistributedDataParallel(model, device_ids=ids)

    def barrier(self) -> None:
        if self.active:
            import torch.distributed as dist

            if self.backend == "nccl":
                dist.barrier(device_ids=[self.local_rank])
            else:
                dist.barrier()

    def close(self) -> None:
        if self.active:
            import torch.distributed as dist

            if dist.is_initialized():
                dist.destroy_process_group()


SINGLE = Ranks()


def launched_by_torchrun() -> bool:
    return int(os.environ.get("WORLD_SIZE", "1") or 1) > 1


def start(device: torch.device, timeout_s: float = 1800) -> tuple[Ranks, torch.device]:
    """(ranks, this rank's device). Joins the process group when torchrun started several
    processes: NCCL when ``device`` is CUDA (each rank on ``cuda:LOCAL_RANK``), gloo on CPU.
    ValueError (one line) when the environment asks for something this machine lacks."""
    if not launched_by_torchrun():
        return SINGLE, device
    import torch.distributed as dist

    try:
        rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
        local = int(os.environ.get("LOCAL_RANK", rank))
    except (KeyError, ValueError) as exc:
        raise ValueError(f"WORLD_SIZE is set but the rest of torchrun's environment is not "
                         f"({exc}); start several processes with torchrun") from None
    if device.type == "cuda":
        count = torch.cuda.device_count()
        if local >= count:
            raise ValueError(f"process {local} on this machine has no GPU of its own: "
                             f"{count} GPU(s) here; use --nproc-per-node {count} or fewer")
        device = torch.device("cuda", local)
        torch.cuda.set_device(device)
        backend = "nccl" if dist.is_nccl_available() else "gloo"
    elif device.type == "cpu":
        backend = "gloo"
    else:
        raise ValueError(f"training on several processes needs CUDA or the CPU, not {device.type}; "
                         "use --device cpu, or one process")
    if not dist.is_initialized():
        dist.init_process_group(backend, rank=rank, world_size=world,
                                timeout=datetime.timedelta(seconds=timeout_s))
    return Ranks(rank=rank, world=world, local_rank=local, backend=backend), device

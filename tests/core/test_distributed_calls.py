"""``Ranks`` and ``start`` against a stand-in ``torch.distributed``, in one process.

``tests/core/test_distributed.py`` runs real ranks as worker processes, which mutation
testing cannot see into, and ``tests/core/test_trainer_ranks.py`` replaces every
collective of ``Ranks`` by a thread barrier. Here the collectives are the real methods and
only ``torch.distributed`` underneath is a recorder: what each method hands it (the op,
the dtype, the device, the barrier's device ids) and what it hands back are what torchrun's
ranks rely on. ``start`` is given torchrun's environment and a recording
``init_process_group``. Each test takes milliseconds."""

import datetime

import pytest
import torch
import torch.distributed as dist

from studio.core.training import distributed as D
from studio.core.training.distributed import SINGLE, Ranks, launched_by_torchrun, start


class FakeDist:
    """Records every call; an all-reduce acts as if the other rank put in ``other``."""

    def __init__(self, other=10.0, initialized=False):
        self.other, self.initialized, self.calls = other, initialized, []

    def all_reduce(self, t, op):
        self.calls.append(("all_reduce", op, t.dtype, t.device.type, t.tolist()))
        if op == dist.ReduceOp.SUM:
            t += self.other
        elif op == dist.ReduceOp.MAX:
            t.clamp_(min=self.other)
        else:  # pragma: no cover - no other op is used
            raise AssertionError(op)

    def barrier(self, **kw):
        self.calls.append(("barrier", kw))

    def is_initialized(self):
        return self.initialized

    def destroy_process_group(self):
        self.calls.append(("destroy",))

    def init_process_group(self, backend, **kw):
        self.calls.append(("init", backend, kw))

    def is_nccl_available(self):
        return True


@pytest.fixture
def fake(monkeypatch):
    f = FakeDist()
    for name in ("all_reduce", "barrier", "is_initialized", "destroy_process_group",
                 "init_process_group", "is_nccl_available"):
        monkeypatch.setattr(dist, name, getattr(f, name))
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    return f


TWO = Ranks(rank=1, world=2, local_rank=1, backend="gloo")


def test_one_process_calls_no_collective(fake):
    assert SINGLE.main and not SINGLE.active
    assert SINGLE.sum([1, 2.5]) == [1.0, 2.5] and SINGLE.max([3]) == [3.0]
    t = torch.ones(2)
    assert SINGLE.sum_tensor(t) is t
    model = torch.nn.Linear(2, 2)
    assert SINGLE.wrap(model) is model
    SINGLE.barrier()
    SINGLE.close()
    assert fake.calls == []
    assert not TWO.main and TWO.active and Ranks(rank=0, world=2).main


def test_sum_and_max_are_one_float64_all_reduce_each_on_the_cpu_for_gloo(fake):
    assert TWO.sum([1, 2.5]) == [11.0, 12.5]
    assert TWO.max([3, 12]) == [10.0, 12.0]
    assert fake.calls == [("all_reduce", dist.ReduceOp.SUM, torch.float64, "cpu", [1.0, 2.5]),
                          ("all_reduce", dist.ReduceOp.MAX, torch.float64, "cpu", [3.0, 12.0])]


def test_sum_tensor_reduces_in_float64_and_hands_back_the_tensors_own_dtype(fake):
    fake.other = 0.25
    t = torch.tensor([[1.0, 2.0]], dtype=torch.float32)
    out = TWO.sum_tensor(t)
    assert out.dtype == torch.float32 and out.device == t.device
    assert out.tolist() == [[1.25, 2.25]]
    assert t.tolist() == [[1.0, 2.0]]                  # the caller's tensor is not reduced in place
    assert fake.calls == [("all_reduce", dist.ReduceOp.SUM, torch.float64, "cpu", [[1.0, 2.0]])]


def test_nccl_reduces_on_this_ranks_gpu():
    assert Ranks(rank=1, world=2, local_rank=1, backend="nccl")._comm_device() == torch.device("cuda", 1)
    assert TWO._comm_device() == torch.device("cpu")


def test_barrier_names_the_gpu_under_nccl_only_and_close_destroys_an_initialised_group(fake):
    TWO.barrier()
    Ranks(rank=1, world=2, local_rank=1, backend="nccl").barrier()
    TWO.close()                                        # not initialised: nothing to destroy
    fake.initialized = True
    TWO.close()
    assert fake.calls == [("barrier", {}), ("barrier", {"device_ids": [1]}), ("destroy",)]


def test_wrap_puts_ddp_round_a_cpu_model_without_device_ids(fake, monkeypatch):
    made = []

    class DDP:
        def __init__(self, model, device_ids):
            made.append((model, device_ids))

    monkeypatch.setattr(torch.nn.parallel, "DistributedDataParallel", DDP)
    model = torch.nn.Linear(2, 2)
    wrapped = TWO.wrap(model)
    assert isinstance(wrapped, DDP) and made == [(model, None)]


def test_without_torchrun_start_is_one_process(fake, monkeypatch):
    device = torch.device("cpu")
    assert not launched_by_torchrun()
    assert start(device) == (SINGLE, device)
    monkeypatch.setenv("WORLD_SIZE", "1")
    assert not launched_by_torchrun() and start(device)[0] is SINGLE
    monkeypatch.setenv("WORLD_SIZE", "")
    assert not launched_by_torchrun()
    assert fake.calls == []


def test_start_joins_a_gloo_group_with_torchruns_place_and_the_timeout(fake, monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")                    # no LOCAL_RANK: the rank stands for it
    assert launched_by_torchrun()
    ranks, device = start(torch.device("cpu"), timeout_s=7)
    assert ranks == Ranks(rank=1, world=2, local_rank=1, backend="gloo")
    assert device == torch.device("cpu")
    assert fake.calls == [("init", "gloo", {"rank": 1, "world_size": 2,
                                             "timeout": datetime.timedelta(seconds=7)})]
    monkeypatch.setenv("LOCAL_RANK", "0")
    fake.initialized = True                            # joined already: not twice
    assert start(torch.device("cpu"))[0] == Ranks(rank=1, world=2, local_rank=0, backend="gloo")
    assert len(fake.calls) == 1


def test_start_defaults_to_half_an_hours_timeout(fake, monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "0")
    start(torch.device("cpu"))
    assert fake.calls[0][2]["timeout"] == datetime.timedelta(seconds=1800)


def test_start_on_cuda_takes_the_local_gpu_and_nccl(fake, monkeypatch):
    chosen = []
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "set_device", chosen.append)
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("LOCAL_RANK", "1")
    ranks, device = start(torch.device("cuda"))
    assert device == torch.device("cuda", 1) and chosen == [device]
    assert ranks == Ranks(rank=1, world=2, local_rank=1, backend="nccl")
    assert fake.calls[0][1] == "nccl"
    monkeypatch.setattr(dist, "is_nccl_available", lambda: False)
    assert start(torch.device("cuda"))[0].backend == "gloo"


def test_start_refuses_what_this_machine_lacks_in_one_line(fake, monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(ValueError) as err:
        start(torch.device("cpu"))
    assert str(err.value) == ("WORLD_SIZE is set but the rest of torchrun's environment is not "
                              "('RANK'); start several processes with torchrun")
    monkeypatch.setenv("RANK", "x")
    with pytest.raises(ValueError, match="WORLD_SIZE is set but the rest"):
        start(torch.device("cpu"))
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(ValueError) as err:
        start(torch.device("cuda"))
    assert str(err.value) == ("process 1 on this machine has no GPU of its own: 1 GPU(s) here; "
                              "use --nproc-per-node 1 or fewer")
    with pytest.raises(ValueError) as err:
        start(torch.device("meta"))
    assert str(err.value) == ("training on several processes needs CUDA or the CPU, not meta; "
                              "use --device cpu, or one process")
    assert fake.calls == []
    assert D.SINGLE == Ranks(rank=0, world=1, local_rank=0, backend="")

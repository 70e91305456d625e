"""The trainer's torchrun paths in one process: two ranks as two threads.

``tests/core/test_distributed.py`` runs real worker processes, which mutation testing
cannot see into (they import the package afresh). Here the ranks are two ``Trainer``
objects driven from two threads, and the only collective, the all-reduce, is a thread
barrier that adds what each rank put in (``ThreadRanks``; its ``rows`` is the real
``Ranks.rows``). What they must give is known without the code under test: the resume file
two ranks write holds the carried state of every lane exactly as one process's does; each
rank resuming takes back its own lanes (rank 0 the first ceil(n/2), rank 1 the rest); the
two ranks' shared validation loss is the plain mean NLL over every held-out token; their
shares of a global batch put together are the batch. Each test takes a second or two."""

import dataclasses
import threading

import pytest
import torch
import torch.nn.functional as F

from studio.core.training import batches as B
from studio.core.checkpoint import load_checkpoint
from studio.core.data import load_corpus
from studio.core.training.distributed import Ranks
from studio.core.evaluate import EvaluationStopped, nll_of_stream
from studio.core.training.trainer import Trainer, TrainConfig


class _Group:
    """An all-reduce among threads: each rank puts its value in, all wait, all read the sum."""

    def __init__(self, world: int):
        self.slots = [None] * world
        self.gate = threading.Barrier(world, timeout=120)

    def reduce(self, rank, value, combine):
        self.slots[rank] = value
        self.gate.wait()
        out = combine(self.slots)
        self.gate.wait()  # nobody overwrites a slot before everyone has read them
        return out


@dataclasses.dataclass(frozen=True)
class ThreadRanks(Ranks):
    group: _Group = dataclasses.field(default=None, compare=False)

    def sum(self, values):
        return self.group.reduce(self.rank, [float(v) for v in values],
                                 lambda all_: [sum(col) for col in zip(*all_)])

    def max(self, values):
        return self.group.reduce(self.rank, [float(v) for v in values],
                                 lambda all_: [max(col) for col in zip(*all_)])

    def sum_tensor(self, tensor):
        return self.group.reduce(self.rank, tensor.detach().clone(),
                                 lambda all_: sum(t.double() for t in all_).to(tensor.dtype))

    def wrap(self, model):
        return model  # no gradient averaging here: these tests take no training step

    def barrier(self):
        self.group.gate.wait()


def _two_ranks(cfg, corpus, tmp_path, name, **kw):
    group = _Group(2)
    return [Trainer(cfg, corpus, tmp_path / f"{name}{r}.safetensors",
                    ranks=ThreadRanks(rank=r, world=2, group=group), **kw) for r in range(2)]


def _on_both(fn, ranks):
    """fn(rank's trainer) on two threads at once; the results in rank order (or an error).
    A rank that fails, or leaves while the other still waits in a collective (they called
    different numbers of them: a deadlock under torchrun), ends the wait 10 s later: the
    barrier is broken and the waiting rank fails."""
    results, errors = [None, None], []
    one_left = threading.Event()

    def work(i):
        try:
            results[i] = fn(ranks[i])
        except BaseException as exc:  # noqa: BLE001 (handed to the test's thread)
            errors.append(exc)
        finally:
            one_left.set()

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(2)]
    for t in threads:
        t.start()
    one_left.wait(300)
    for t in threads:
        t.join(10)
    if any(t.is_alive() for t in threads):
        ranks[0].ranks.group.gate.abort()
        for t in threads:
            t.join(10)
    if errors:
        raise errors[0]
    return results


def _stream_cfg(cell, **kw):
    base = dict(kind="text", cell=cell, layers=2, hidden=12, embedding=8, batch_size=5, window=16,
                max_steps=20, epochs=3, lr=5e-3, warmup=0, eval_every=100, seed=3, dropout=0.0,
                device="cpu", sample_every=0)
    base.update(kw)
    return TrainConfig(**base)


def _parts(state):
    return state if isinstance(state, tuple) else (state,)


# 5 lanes on 2 ranks: the first n % world ranks take one more (Ranks.rows' documented split)
SHARES = (slice(0, 3), slice(3, 5))


@pytest.mark.parametrize("cell", ["lstm", "gru"])  # carried state: (h, c), or h alone
def test_two_ranks_write_every_lane_and_each_takes_its_own_back(tmp_path, text_file, cell):
    corpus = load_corpus(text_file, "text")
    one = Trainer(_stream_cfg(cell), corpus, tmp_path / "one.safetensors")
    one.on("step", lambda e: one.request_stop() if e["step"] == 5 else None)
    one.run()  # mid-epoch: a carried state for all 5 lanes, 2 layers
    full = _parts(one.carry_state)
    assert one._lanes == 5 and full[0].shape == (2, 5, 12)

    ranks = _two_ranks(_stream_cfg(cell), corpus, tmp_path, "rank")
    for t, rows in zip(ranks, SHARES):  # each rank holds only its lanes, as under torchrun
        t._lanes, t.step, t.epoch, t.batch_in_epoch = 5, one.step, one.epoch, one.batch_in_epoch
        mine = tuple(p[:, rows].clone() for p in full)
        t.carry_state = mine if cell == "lstm" else mine[0]
    _on_both(lambda t: t._save_resume(), ranks)
    assert not (tmp_path / "rank1.last.safetensors").exists()  # only rank 0 writes
    written = load_checkpoint(tmp_path / "rank0.last.safetensors").extras
    reference = load_checkpoint(tmp_path / "one.last.safetensors").extras
    keys = ["carry_0", "carry_1"] if cell == "lstm" else ["carry_0"]
    assert sorted(k for k in written if k.startswith("carry")) == keys
    for i, key in enumerate(keys):
        assert torch.equal(written[key], full[i])
        assert torch.equal(written[key], reference[key])  # what one process writes

    # resumed on two ranks: each takes its own lanes of the file, in the stored form
    again = _two_ranks(_stream_cfg(cell), corpus, tmp_path, "again",
                       resume=tmp_path / "rank0.last.safetensors")
    for t, rows in zip(again, SHARES):
        t._lanes = 5
        t._adopt_saved_carry()
        if cell == "lstm":
            assert isinstance(t.carry_state, tuple) and len(t.carry_state) == 2
        else:
            assert isinstance(t.carry_state, torch.Tensor)
        for got, want in zip(_parts(t.carry_state), full):
            assert torch.equal(got, want[:, rows])


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_a_rank_without_lanes_adds_nothing_to_the_carried_state(tmp_path, text_file, cell):
    """A stream shorter than 2 x --batch has fewer lanes than ranks (``stream_lanes`` caps
    them); a rank with none carries no state (None) and the gathered state is rank 0's."""
    corpus = load_corpus(text_file, "text")
    ranks = _two_ranks(_stream_cfg(cell), corpus, tmp_path, "rank")
    torch.manual_seed(0)
    lane = tuple(torch.randn(2, 1, 12) for _ in range(2 if cell == "lstm" else 1))
    for t in ranks:
        t._lanes, t.batch_in_epoch = 1, 3
    ranks[0].carry_state = lane if cell == "lstm" else lane[0]
    ranks[1].carry_state = None
    for got in _on_both(lambda t: t._global_carry(), ranks):  # every rank gets the whole
        assert isinstance(got, tuple) == (cell == "lstm")
        assert len(_parts(got)) == len(lane)
        for g, want in zip(_parts(got), lane):
            assert torch.equal(g, want)
    # at an epoch's start nothing is carried: no collective, nothing stored
    for t in ranks:
        t.batch_in_epoch = 0
    assert _on_both(lambda t: t._global_carry(), ranks) == [None, None]


def _names_cfg(**kw):
    base = dict(kind="names", cell="gru", layers=1, hidden=16, embedding=8, batch_size=7, epochs=2,
                lr=0.01, warmup=0, schedule="constant", eval_every=4, sample_every=0, seed=2,
                device="cpu", dropout=0.0, patience=0)
    base.update(kw)
    return TrainConfig(**base)


def _plain_names_nll(model, seqs) -> float:
    """Mean NLL per predicted token, one forward per held-out name (end token included)."""
    total, count = 0.0, 0
    with torch.no_grad():
        for seq in seqs:
            logits, _ = model(torch.tensor([list(seq[:-1])]))
            total += float(F.cross_entropy(logits[0], torch.tensor(list(seq[1:])), reduction="sum"))
            count += len(seq) - 1
    return total / count


@pytest.mark.parametrize("kind", ["names", "text"])
def test_two_ranks_share_the_validation_loss_of_one_process(tmp_path, names_file, text_file, kind):
    corpus = load_corpus(names_file if kind == "names" else text_file, kind)
    cfg = _names_cfg() if kind == "names" else _stream_cfg("lstm")
    ranks = _two_ranks(cfg, corpus, tmp_path, "rank")
    ranks[1].model.load_state_dict(ranks[0].model.state_dict())  # DDP's start: rank 0's weights
    for t in ranks:
        t.model.eval()
    if kind == "names":
        want = _plain_names_nll(ranks[0].model, corpus.val_sequences())
    else:
        want = nll_of_stream(ranks[0].model, corpus.val_stream())[0]  # what `eval` reports
    got = _on_both(lambda t: t.validation_loss(), ranks)
    assert got[0] == pytest.approx(want, rel=1e-5) and got[1] == pytest.approx(want, rel=1e-5)

    # a stop asked on rank 1 alone (under torchrun request_stop only marks it) abandons
    # the pass on both ranks, and both adopt the stop
    ranks[1]._wants[0] = 1
    with pytest.raises(EvaluationStopped):
        _on_both(lambda t: t.validation_loss(), ranks)
    assert ranks[0]._stop_requested and ranks[0]._stop


@pytest.mark.parametrize("kind", ["names", "text"])
def test_each_rank_trains_on_its_share_of_the_global_batch(tmp_path, names_file, text_file, kind):
    corpus = load_corpus(names_file if kind == "names" else text_file, kind)
    cfg = _names_cfg() if kind == "names" else _stream_cfg("gru")
    one = Trainer(cfg, corpus, tmp_path / "one.safetensors")
    ranks = _two_ranks(cfg, corpus, tmp_path, "rank")
    shares = (slice(0, 4), slice(4, 7)) if kind == "names" else SHARES  # 7 rows / 5 lanes
    for n, (whole, a, b) in enumerate(zip(one._epoch_batches(0), ranks[0]._epoch_batches(0),
                                          ranks[1]._epoch_batches(0))):
        for part, rows in ((a, shares[0]), (b, shares[1])):
            width = part.x.size(1)  # a names share is trimmed to its longest name
            assert torch.equal(part.x, whole.x[rows, :width]) and torch.equal(part.y, whole.y[rows, :width])
            assert (whole.y[rows, width:] == B.IGNORE).all()
            assert part.total == whole.tokens and part.carry == whole.carry
        assert a.tokens + b.tokens == whole.tokens
        if n == 3:
            break

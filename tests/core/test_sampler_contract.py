"""The sampler's contract beyond its distribution: settings validation, log-probabilities,
bans, stop tokens and finished rows, prime checks, the thread policy, masks."""

import math

import pytest
import torch

from studio.core.net import NetConfig, SequenceNet
from studio.core.sampling.sampler import SampleSettings, sample, sample_stream, shape_logits

V = 12


def _net(seed=0, cell="lstm"):
    torch.manual_seed(seed)
    net = SequenceNet(NetConfig(cell=cell, vocab_size=V, layers=2, hidden=16, embedding=8)).eval()
    with torch.no_grad():
        net.head.weight.mul_(3.0)
    return net


@pytest.mark.parametrize("kwargs,message", [
    (dict(temperature=-0.1), r"temperature must be >= 0 \(0 means greedy\), not -0.1"),
    (dict(top_k=-1), r"top-k must be >= 0 \(0 means off\)"),
    (dict(top_p=0.0), r"top-p must be in \(0, 1\]"),
    (dict(top_p=1.01), r"top-p must be in \(0, 1\]"),
    (dict(max_length=-1), "length must be >= 0 and count >= 1"),
    (dict(count=0), "length must be >= 0 and count >= 1"),
    (dict(token_classes=(0, 2), class_temperatures=(1.0, 1.0)), "every token class needs a temperature"),
    (dict(token_classes=(-1, 0), class_temperatures=(1.0,)), "every token class needs a temperature"),
    (dict(token_classes=(0, 1), class_temperatures=(1.0, 0.0)), "class temperatures must be > 0"),
    (dict(token_classes=(), class_temperatures=()), "every token class needs a temperature"),
])
def test_settings_are_validated(kwargs, message):
    with pytest.raises(ValueError, match=f"^{message}$"):  # the whole message, nothing else
        SampleSettings(**kwargs)


def test_settings_edges_are_accepted_and_serialised():
    s = SampleSettings(temperature=0, top_k=0, top_p=1.0, max_length=0, count=1,
                       token_classes=[0, 1.0], class_temperatures=[2, 0.5])
    assert s.token_classes == (0, 1) and s.class_temperatures == (2.0, 0.5)
    assert isinstance(s.class_temperatures[0], float)
    assert s.to_json() == {"temperature": 0, "top_k": 0, "top_p": 1.0, "max_length": 0, "count": 1,
                           "seed": None, "stop_at_end": True, "token_classes": (0, 1),
                           "class_temperatures": (2.0, 0.5)}
    assert list(sample_stream(_net(), [0], s)) == []  # max_length 0: nothing to do


class OnlyEven:
    """A constraint: even ids only (row 0), anything (row 1, mask all False = no limit)."""

    def __init__(self):
        self.seen = []

    def mask(self, step):
        m = torch.zeros(2, V, dtype=torch.bool)
        m[0, 0::2] = True
        return m

    def advance(self, tokens):
        self.seen.append(tokens.tolist())


def test_logprobs_are_the_models_own_at_t1_after_bans_and_masks():
    net = _net()
    spy = OnlyEven()
    settings = SampleSettings(temperature=0.6, max_length=30, count=2, seed=3, stop_at_end=False)
    steps = list(sample_stream(net, [0, 4], settings, constraint=spy, ban=(3, 5)))
    rows = [[s.tokens[r] for s in steps] for r in range(2)]
    assert spy.seen == [list(t) for t in zip(*rows)]  # advance() saw every emitted token
    assert all(t % 2 == 0 for t in rows[0]) and not {1, 3, 5} & set(rows[0] + rows[1])
    assert any(t % 2 for t in rows[1])  # an all-False mask row is unconstrained
    for r, row in enumerate(rows):
        with torch.no_grad():
            logits, _ = net(torch.tensor([[0, 4] + row[:-1]]))
        logits = logits[0, 1:].double()
        logits[:, [1, 3, 5]] = float("-inf")
        if r == 0:
            logits[:, 1::2] = float("-inf")
        expected = torch.log_softmax(logits, -1)[range(len(row)), row]
        got = torch.tensor([s.logprobs[r] for s in steps], dtype=torch.float64)
        assert torch.allclose(got, expected, atol=1e-4), r


def test_stop_tokens_finished_rows_and_padding():
    net = _net(seed=1)
    with torch.no_grad():
        net.head.bias[7] = 2.5  # token 7 comes soon in every row
    settings = SampleSettings(max_length=200, count=6, seed=4, stop_at_end=False)
    steps = list(sample_stream(net, [0], settings, stop_tokens=[7]))
    assert all(steps[-1].done) and len(steps) < 200  # ends once every row has stopped
    for r in range(6):
        toks = [s.tokens[r] for s in steps]
        stop = toks.index(7)
        assert 0 <= stop and all(t != 7 for t in toks[:stop])
        assert toks[stop + 1:] == [-1] * (len(toks) - stop - 1)
        assert [s.done[r] for s in steps] == [False] * stop + [True] * (len(toks) - stop)
        assert all(s.logprobs[r] == 0.0 for s in steps[stop + 1:])
        assert steps[stop].logprobs[r] < 0
    rows = sample(net, [0], settings, stop_tokens=[7])
    assert all(row[-1] == 7 and 7 not in row[:-1] for row in rows)  # the stop token included


def test_end_stops_only_when_asked():
    net = _net(seed=2)
    with torch.no_grad():
        net.head.bias[0] = 3.0
    on = sample(net, [0], SampleSettings(max_length=100, count=4, seed=1), end_id=0)
    assert all(row[-1] == 0 and 0 not in row[:-1] for row in on)
    off = sample(net, [0], SampleSettings(max_length=40, count=4, seed=1, stop_at_end=False), end_id=0)
    assert all(len(row) == 40 for row in off) and any(row.count(0) > 1 for row in off)
    with torch.no_grad():
        net.head.bias[9] = 2.0
    other = sample(net, [0], SampleSettings(max_length=100, count=4, seed=1), end_id=9)
    assert all(row[-1] == 9 and 9 not in row[:-1] for row in other)  # end_id names the end token
    assert any(0 in row for row in other)  # and 0 is then an ordinary token


@pytest.mark.parametrize("prime", [[], [[0, 1], [0]], [[0], [0], [0]]])
def test_bad_primes_are_refused(prime):
    with pytest.raises(ValueError, match=r"^prime must be a non-empty id list, or one equal-length list "
                                         r"per row$"):  # the whole message
        list(sample_stream(_net(), prime, SampleSettings(count=2)))


def test_a_failure_while_priming_reaches_the_caller_and_restores_the_mode():
    # before the first step exists (priming runs out of memory, say): the caller sees that
    # error, not one from the clean-up, and a model that was training is training again
    net = _net().train()

    def fails(*args, **kwargs):
        raise RuntimeError("out of memory while priming")

    net.forward = fails
    with pytest.raises(RuntimeError, match="^out of memory while priming$"):
        list(sample_stream(net, [0, 3, 4], SampleSettings(count=2, seed=0)))
    assert net.training


def test_unseeded_takes_do_not_repeat():
    # no seed: each take draws its own from torch's entropy; 60 takes of 24 tokens from 10
    # near-equally likely ones repeat only if the seeds do (a seed space of a few hundred
    # would repeat one almost surely: birthday bound 1 - exp(-60^2 / 2n))
    torch.manual_seed(0)
    net = SequenceNet(NetConfig(cell="gru", vocab_size=V, layers=1, hidden=8, embedding=4)).eval()
    takes = {tuple(sample(net, [0], SampleSettings(max_length=24, stop_at_end=False))[0]) for _ in range(60)}
    assert len(takes) == 60


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("count", [1, 16])
def test_one_token_prime_greedy_equals_rerunning_the_prefix(cell, count):
    net = _net(seed=5, cell=cell)
    rows = sample(net, [6], SampleSettings(temperature=0, max_length=10, count=count, stop_at_end=False),
                  device="cpu")
    seq = [6]
    with torch.no_grad():
        for _ in range(10):
            logits, _ = net(torch.tensor([seq]))
            logits[0, -1, 1] = float("-inf")
            seq.append(int(logits[0, -1].argmax()))
    assert rows == [seq[1:]] * count


@pytest.mark.parametrize("count,threads", [(4, 1), (8, 1), (9, 2), (64, 2)])
def test_small_batches_sample_on_one_thread_and_restore_the_count(count, threads):
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        gen = sample_stream(_net(), [0], SampleSettings(max_length=5, count=count, seed=0))
        next(gen)
        assert torch.get_num_threads() == threads
        gen.close()
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_shape_logits_edges():
    z = torch.tensor([[2.0, 1.0, 0.0, float("-inf")]])
    assert torch.equal(shape_logits(z, SampleSettings(temperature=2.0, top_k=4)), z / 2)  # k >= V: off
    one = shape_logits(z, SampleSettings(top_k=1))
    assert torch.isfinite(one).tolist() == [[True, False, False, False]]
    # top-p: keep while the mass ranked above is below p (0.665 < 0.7 keeps the second)
    p = torch.softmax(z, -1)[0]
    assert p[0] < 0.7 < p[0] + p[1]
    kept = shape_logits(z, SampleSettings(top_p=0.7))
    assert torch.isfinite(kept).tolist() == [[True, True, False, False]]
    assert math.isclose(float(kept[0, 1]), 1.0)


def test_top_p_of_one_is_off_even_for_a_token_below_float_precision():
    # top_p = 1 keeps every token: one 20 nats down (40 at T = 0.5) has p < 1e-8, so the
    # float32 mass ranked above it rounds to 1.0, and a nucleus step run at p = 1 drops it
    z = torch.tensor([[0.0, -20.0, -3.0]])
    assert float(torch.softmax(z, -1)[0, :1].sum() + torch.softmax(z, -1)[0, 2]) >= 1.0
    assert torch.equal(shape_logits(z, SampleSettings(temperature=0.5, top_p=1.0)), z / 0.5)


def test_top_p_keeps_the_smallest_set_whose_mass_reaches_p():
    # four equally likely tokens (0.25 each, exact in float32): p = 0.5 is reached by two of
    # them, so the nucleus is two tokens, not three (the third has exactly p ranked above it)
    kept = shape_logits(torch.zeros(1, 4), SampleSettings(top_p=0.5))
    assert int(torch.isfinite(kept).sum()) == 2
    assert int(torch.isfinite(shape_logits(torch.zeros(1, 4), SampleSettings(top_p=0.75))).sum()) == 3

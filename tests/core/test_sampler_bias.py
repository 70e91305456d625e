"""The sampler's per-step logit bias (``LogitBias``): a domain's expert multiplied into the
net's distribution, exp(b) on a token's odds, inside its token class.

References are written out here, independently of ``shape_logits``: softmax of the
tempered logits, each token's weight multiplied by exp(b), renormalised (over the class,
which keeps the mass the class has at the overall temperature). The sampled frequencies
are checked against that with the per-token binomial bound of test_sampler_distribution
(a correct sampler fails with probability < 1e-4; fixed seeds, not flaky).
"""

import math

import pytest
import torch

from studio.core.net import NetConfig, SequenceNet
from studio.core.sampling.sampler import SampleSettings, sample, sample_stream, shape_logits

VOCAB = 12
BOUND = 4.5
CLASSES = (0,) * 6 + (1,) * 6


def _spread_net(seed=0):
    torch.manual_seed(seed)
    net = SequenceNet(NetConfig(cell="gru", vocab_size=VOCAB, layers=1, hidden=16, embedding=8)).eval()
    with torch.no_grad():
        net.head.weight.mul_(4.0)
        net.head.bias.copy_(torch.linspace(-1.5, 1.5, VOCAB))
    return net


def _boost_after(prev: int) -> dict[int, float]:
    """The test's bias: after token t, the token t+1 (mod 12) gets log 6, t+2 gets log 2."""
    return {(prev + 1) % VOCAB: math.log(6.0), (prev + 2) % VOCAB: math.log(2.0)}


class NextTokenBias:
    """A LogitBias that depends on each row's last token (the tokens it is told about)."""

    def __init__(self, count, prime_last):
        self.last = [prime_last] * count
        self.seen = []

    def bias(self, step):
        out = torch.zeros(len(self.last), VOCAB)
        for r, prev in enumerate(self.last):
            for tok, b in _boost_after(prev).items():
                out[r, tok] = b
        return out

    def advance(self, tokens):
        self.seen.append(tokens.tolist())
        self.last = tokens.tolist()


def reference(z, prev, temperature, class_temps=None):
    """Row-wise reference probabilities (float64) for logits z [V] after token ``prev``."""
    z = z.double()
    b = torch.zeros(VOCAB, dtype=torch.float64)
    for tok, v in _boost_after(prev).items():
        b[tok] = v
    if class_temps is None:
        w = torch.exp(z / temperature - (z / temperature).max()) * torch.exp(b)
        return w / w.sum()
    overall = torch.softmax(z / temperature, -1)
    out = torch.zeros(VOCAB, dtype=torch.float64)
    for c, t_c in enumerate(class_temps):
        member = torch.tensor([k == c for k in CLASSES])
        inside = torch.exp(z[member] / t_c - (z[member] / t_c).max()) * torch.exp(b[member])
        out[member] = overall[member].sum() * inside / inside.sum()
    return out


def test_a_bias_multiplies_odds_by_exp_b_inside_the_class_and_keeps_class_mass():
    z = torch.tensor([[2.0, 0.5, -1.0, 1.0, 0.0, -0.3, 0.7, 0.2, -2.0, 1.1, 0.4, float("-inf")]])
    b = torch.zeros(1, VOCAB)
    b[0, 1], b[0, 7] = math.log(5.0), math.log(3.0)
    s = SampleSettings(temperature=0.8, token_classes=CLASSES, class_temperatures=(0.5, 2.0))
    p = torch.softmax(shape_logits(z, s, b), -1)[0].double()
    p0 = torch.softmax(shape_logits(z, s), -1)[0].double()
    # the factor on the odds against a class-mate, and each class's mass unchanged
    assert float((p[1] / p[0]) / (p0[1] / p0[0])) == pytest.approx(5.0, rel=1e-5)
    assert float((p[7] / p[6]) / (p0[7] / p0[6])) == pytest.approx(3.0, rel=1e-5)
    assert float(p[:6].sum()) == pytest.approx(float(p0[:6].sum()), abs=1e-6)
    assert p[11] == 0                                  # a masked token stays masked
    plain = SampleSettings(temperature=0.8)            # no classes: softmax(z/T + b)
    expected = torch.softmax(z[0].double() / 0.8 + b[0].double(), -1)
    assert torch.allclose(torch.softmax(shape_logits(z, plain, b), -1)[0].double(), expected, atol=1e-6)


def _frequencies(net, settings, rows, reference_of):
    with torch.no_grad():
        full = torch.tensor([[0] + row for row in rows])
        logits, _ = net(full[:, :-1])
    logits[:, :, 1] = float("-inf")                    # <unk> is banned while sampling
    probs = torch.stack([reference_of(logits[r, t], full[r, t].item())
                         for r in range(len(rows)) for t in range(len(rows[r]))])
    drawn = torch.tensor(rows).reshape(-1)
    assert bool((probs[torch.arange(drawn.numel()), drawn] > 0).all())
    observed = torch.bincount(drawn, minlength=VOCAB).double()
    expected, variance = probs.sum(0), (probs * (1 - probs)).sum(0)
    return ((observed - expected) / variance.clamp_min(1e-12).sqrt()).abs().max()


@pytest.mark.parametrize("count,length", [(4, 800), (16, 200)])
@pytest.mark.parametrize("class_temps", [None, (0.6, 1.7)])
def test_sampled_frequencies_follow_the_biased_distribution(count, length, class_temps):
    net = _spread_net()
    settings = SampleSettings(temperature=1.2, max_length=length, count=count, seed=3, stop_at_end=False,
                              token_classes=CLASSES if class_temps else None,
                              class_temperatures=class_temps or ())
    bias = NextTokenBias(count, prime_last=0)
    rows = sample(net, [0], settings, bias=bias)
    assert bias.seen[0] == [row[0] for row in rows]   # the bias is told every row's token
    z = _frequencies(net, settings, rows, lambda lg, prev: reference(lg, prev, 1.2, class_temps))
    assert z <= BOUND
    # power: the same draws judged without the bias fail by far
    unbiased = lambda lg, prev: reference(lg, -99, 1.2, class_temps)  # noqa: E731 (no boost)
    assert _frequencies(net, settings, rows, unbiased) > 3 * BOUND


def test_no_bias_and_an_all_zero_bias_draw_the_same_tokens():
    class Zero:
        def bias(self, step):
            return torch.zeros(2, VOCAB)

        def advance(self, tokens):
            pass

    net = _spread_net(1)
    for classes in (None, CLASSES):
        s = SampleSettings(temperature=0.9, max_length=300, count=2, seed=5, stop_at_end=False,
                           token_classes=classes, class_temperatures=(0.7, 1.3) if classes else ())
        assert sample(net, [0], s, bias=Zero()) == sample(net, [0], s)


def test_the_bias_follows_the_prime_and_the_carried_state():
    """Primed rows: step 0's bias sees the tokens after the prime, as the state does."""
    net = _spread_net(2)
    s = SampleSettings(temperature=0, max_length=20, count=1, stop_at_end=False)
    out = next(iter(sample_stream(net, [0, 5, 6], s, bias=NextTokenBias(1, prime_last=6))))
    with torch.no_grad():
        logits, _ = net(torch.tensor([[0, 5, 6]]))
    z = logits[0, -1].clone()
    z[1] = float("-inf")
    z[7] += math.log(6.0)
    z[8] += math.log(2.0)
    assert out.tokens == [int(z.argmax())]                # greedy over the biased logits


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_on_cuda_a_bias_runs_the_eager_loop_and_is_honoured():
    net = _spread_net().cuda()
    settings = SampleSettings(temperature=1.2, max_length=400, count=4, seed=3, stop_at_end=False,
                              token_classes=CLASSES, class_temperatures=(0.6, 1.7))
    rows = sample(net, [0], settings, bias=NextTokenBias(4, prime_last=0))
    z = _frequencies(net.cpu(), settings, rows, lambda lg, prev: reference(lg, prev, 1.2, (0.6, 1.7)))
    assert z <= BOUND


class StepScheduleBias:
    """A LogitBias that depends on the step index alone: at step i it lifts one token by 50
    nats, far more than the net's own spread, so the take follows its schedule."""

    def __init__(self, schedule):
        self.schedule, self.steps = schedule, []

    def bias(self, step):
        self.steps.append(step)
        out = torch.zeros(2, VOCAB)
        out[:, self.schedule[step]] = 50.0
        return out

    def advance(self, tokens):
        pass


def test_greedy_takes_honour_the_bias_and_it_is_told_each_step():
    schedule = [2, 7, 3, 11, 5, 9]
    spy = StepScheduleBias(schedule)
    rows = sample(_spread_net(), [0], SampleSettings(temperature=0, max_length=6, count=2, stop_at_end=False),
                  bias=spy)
    assert rows == [schedule, schedule]  # the argmax of logits + bias, at T = 0 too
    assert spy.steps == list(range(6))

"""The sampler draws from the distribution it claims: softmax(logits / T), cut by top-k
and top-p, checked against sampled token frequencies.

The reference distribution is computed here, independently of ``shape_logits``: from a
full (teacher-forced) forward pass over each sampled row, then temperature, top-k and
top-p written out the plain way (sort, keep, renormalise). Each step's token is a draw
from that step's distribution, so for every token v the count O_v minus its expected
count E_v = sum_t p_t[v] is a sum of independent-increment terms with variance
V_v = sum_t p_t[v] (1 - p_t[v]) (a per-token binomial bound, valid when p_t varies with
the prefix). The test asserts |O_v - E_v| <= 4.5 sqrt(V_v) for every token: a correct
sampler fails that with probability < 1e-4 (Bonferroni over 12 tokens), and the seeds are
fixed, so it is not flaky. A wrong temperature moves some token by dozens of sigmas
(checked below as the test's power).
"""

import math
import os

import pytest
import torch

from studio.core.net import NetConfig, SequenceNet
from studio.core.sampling.sampler import SMALL_BATCH, SampleSettings, sample

VOCAB = 12
BOUND = 4.5  # sigmas


def _spread_net(seed=0):
    """A small random LSTM whose next-token logits span several nats (so T matters)."""
    torch.manual_seed(seed)
    net = SequenceNet(NetConfig(cell="lstm", vocab_size=VOCAB, layers=2, hidden=16, embedding=8)).eval()
    with torch.no_grad():
        net.head.weight.mul_(6.0)
        net.head.bias.copy_(torch.linspace(-2.0, 2.0, VOCAB))
    return net


def reference_probs(logits, temperature, top_k=0, top_p=1.0):
    """softmax(logits / T) over the allowed tokens, cut to the top k, then to the nucleus
    (a token is kept while the mass of the tokens ranked above it is below top_p)."""
    ranked, order = torch.sort(logits.double() / temperature, dim=-1, descending=True)
    if top_k:
        ranked[:, top_k:] = float("-inf")
    probs = torch.exp(ranked - ranked[:, :1])
    probs = probs / probs.sum(-1, keepdim=True)
    above = torch.cumsum(probs, -1) - probs
    probs = torch.where(above < top_p, probs, torch.zeros_like(probs))
    probs = probs / probs.sum(-1, keepdim=True)
    return torch.zeros_like(probs).scatter(-1, order, probs)


def teacher_forced_logits(net, prime, rows):
    """Logits before each token of every row, from one full forward pass (<unk> banned).
    One thread: oneDNN's LSTM with two threads on a loaded 2-core machine is 1000x slower."""
    full = torch.tensor([list(prime) + row for row in rows], device=net.head.weight.device)
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.no_grad():
            logits, _ = net(full[:, :-1])
    finally:
        torch.set_num_threads(before)
    logits = logits[:, len(prime) - 1:].double().cpu()
    logits[:, :, 1] = float("-inf")
    return logits


def class_reference_probs(logits, temperature, classes, class_temps):
    """Token classes: a class's total mass is its mass under softmax(logits / T); inside
    the class the choice is softmax over its tokens at the class's own temperature."""
    overall = torch.softmax(logits.double() / temperature, -1)
    out = torch.zeros_like(overall)
    for c, t_c in enumerate(class_temps):
        member = torch.tensor([k == c for k in classes])
        mass = overall[:, member].sum(-1, keepdim=True)
        out[:, member] = mass * torch.softmax(logits[:, member].double() / t_c, -1).nan_to_num(0.0)
    return out


def settings_reference(settings):
    """The reference distribution the settings ask for, as a function of the logits."""
    if settings.token_classes is not None:
        return lambda z: class_reference_probs(z, settings.temperature, settings.token_classes,
                                               settings.class_temperatures)
    return lambda z: reference_probs(z, settings.temperature, settings.top_k, settings.top_p)


def frequency_check(net, settings, prime=(0,), reference=None):
    """Per-token z-scores of the sampled counts against the reference distribution."""
    rows = sample(net, list(prime), settings)
    assert all(len(row) == settings.max_length for row in rows)
    logits = teacher_forced_logits(net, prime, rows)
    p = (reference or settings_reference(settings))(logits.reshape(-1, VOCAB))
    drawn = torch.tensor(rows).reshape(-1)
    assert bool((p[torch.arange(drawn.numel()), drawn] > 0).all()), "a token drawn outside the reference's support"
    observed = torch.bincount(drawn, minlength=VOCAB).double()
    expected = p.sum(0)
    variance = (p * (1 - p)).sum(0)
    z = torch.where(variance > 0, (observed - expected) / variance.clamp_min(1e-12).sqrt(),
                    torch.zeros_like(observed))
    return z, observed, expected


# small batches go through the TorchScript step, big ones through the fused module; on
# CUDA (STUDIO_TEST_DEVICE=cuda) both go through the graph-captured device blocks
PATHS = [pytest.param(4, 1000, "cpu", id="stepper-batch-4"),
         pytest.param(64, 64, "cpu", id="fused-batch-64")]
if os.environ.get("STUDIO_TEST_DEVICE", "cpu").lower() == "cuda":
    PATHS += [pytest.param(4, 1000, "cuda", id="cuda-graph-batch-4"),
              pytest.param(64, 64, "cuda", id="cuda-graph-batch-64")]


@pytest.mark.parametrize("count,length,on", PATHS)
@pytest.mark.parametrize("temperature", [0.5, 2.0])
def test_sampled_frequencies_match_softmax_over_temperature(count, length, on, temperature):
    assert (count <= SMALL_BATCH) == (count == 4)
    net = _spread_net().to(on)
    settings = SampleSettings(temperature=temperature, max_length=length, count=count, seed=11,
                              stop_at_end=False)
    z, observed, expected = frequency_check(net, settings)
    assert z.abs().max() <= BOUND, (temperature, observed.tolist(), expected.tolist())


def test_the_frequency_check_has_power_against_a_wrong_temperature():
    """The same draws judged against T = 1 (a sampler that ignores T) fail by far."""
    net = _spread_net()
    for temperature in (0.5, 2.0):
        settings = SampleSettings(temperature=temperature, max_length=1000, count=4, seed=11,
                                  stop_at_end=False)
        z, _, _ = frequency_check(net, settings, reference=lambda logits: reference_probs(logits, 1.0))
        assert z.abs().max() > 3 * BOUND


@pytest.mark.parametrize("count,length,on", PATHS)
def test_top_k_and_top_p_frequencies_at_high_temperature(count, length, on):
    net = _spread_net(seed=2).to(on)
    for settings in (
        SampleSettings(temperature=2.0, top_k=4, max_length=length, count=count, seed=5, stop_at_end=False),
        SampleSettings(temperature=1.5, top_p=0.8, max_length=length, count=count, seed=6, stop_at_end=False),
        SampleSettings(temperature=0.7, top_k=6, top_p=0.9, max_length=length, count=count, seed=7,
                       stop_at_end=False),
    ):
        z, observed, expected = frequency_check(net, settings)
        assert z.abs().max() <= BOUND, (settings, observed.tolist(), expected.tolist())


@pytest.mark.parametrize("count,length,on", PATHS)
def test_token_class_temperatures(count, length, on):
    """Two classes (ids 0-5 cold at T=0.5, 6-11 hot at T=2) under an overall T of 1.3
    (on CUDA the device blocks run eagerly: class membership is tested on the host)."""
    net = _spread_net(seed=3).to(on)
    classes = (0,) * 6 + (1,) * 6
    settings = SampleSettings(temperature=1.3, token_classes=classes, class_temperatures=(0.5, 2.0),
                              max_length=length, count=count, seed=9, stop_at_end=False)
    z, observed, expected = frequency_check(net, settings)
    assert z.abs().max() <= BOUND, (observed.tolist(), expected.tolist())
    # the same draws against plain T = 1.3 (class temperatures ignored) fail by far
    z_plain, _, _ = frequency_check(net, settings, reference=lambda logits: reference_probs(logits, 1.3))
    assert z_plain.abs().max() > 1.5 * BOUND


def test_a_token_class_without_tokens_leaves_the_others_alone():
    """Classes 0 and 2 hold the tokens, class 1 none: class 2 still gets its temperature."""
    net = _spread_net(seed=4)
    classes = (0,) * 6 + (2,) * 6
    settings = SampleSettings(temperature=1.0, token_classes=classes, class_temperatures=(0.7, 1.0, 1.6),
                              max_length=400, count=4, seed=12, stop_at_end=False)
    z, observed, expected = frequency_check(net, settings)
    assert z.abs().max() <= BOUND, (observed.tolist(), expected.tolist())

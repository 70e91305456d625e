"""The device sampler (blocks of steps, CUDA graphs) against the host sampler and the net.

On a CPU the block function runs eagerly: it must give the host path's tokens for the
same seed (same RNG consumption, same shaping, same bookkeeping across block edges). On
CUDA (skipped elsewhere) a captured graph must give the eager block's tokens, bit for bit.
"""

import pytest
import torch

from studio.core.sampling.cell_stack import CellStack
from studio.core.sampling.device_sampler import device_steps
from studio.core.net import NetConfig, SequenceNet
from studio.core.sampling.sampler import (SampleSettings, _host_steps, graphs_enabled, sample,
    sample_stream)

CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def _net(cell="lstm", layers=2, vocab=14, seed=0, device="cpu", nonlinearity=None):
    torch.manual_seed(seed)
    net = SequenceNet(NetConfig(cell=cell, vocab_size=vocab, layers=layers, hidden=24, embedding=8))
    if nonlinearity:  # nn.RNN's relu variant: rebuild its module, same shapes
        net.rnn = torch.nn.RNN(8, 24, num_layers=layers, batch_first=True, nonlinearity="relu")
    return net.to(device).eval()


class _ToyGrammar:
    """A constraint whose masks depend on what was emitted: after token t only t+1..t+5."""

    def __init__(self, n, vocab):
        self.last, self.vocab, self.calls = [0] * n, vocab, []

    def mask(self, step):
        m = torch.zeros(len(self.last), self.vocab, dtype=torch.bool)
        for i, t in enumerate(self.last):
            m[i, [(t + d) % self.vocab for d in range(1, 6)]] = True
        return m if step % 4 else None  # every 4th step: no mask at all

    def advance(self, tokens):
        self.calls.append(tokens.tolist())
        self.last = tokens.tolist()


def _prime(net, n, device):
    prime = torch.tensor([[0, 3, 5]] * n, device=device)
    with torch.no_grad():
        _, state = net(prime[:, :-1])
    return prime[:, -1], state


SETTINGS = [dict(temperature=1.0), dict(temperature=0.7, top_k=4), dict(temperature=1.3, top_p=0.8),
            dict(temperature=0)]


@pytest.mark.parametrize("cell,nonlin", [("lstm", None), ("gru", None), ("rnn", None), ("rnn", "relu")])
@pytest.mark.parametrize("shape", SETTINGS)
@pytest.mark.parametrize("n,block", [(1, 32), (5, 3), (2, 1)])
def test_block_steps_equal_the_host_steps_on_cpu(cell, nonlin, shape, n, block):
    net = _net(cell, nonlinearity=nonlin)
    settings = SampleSettings(max_length=50, count=n, seed=11, **shape)
    ban = (1, 7)
    last, state = _prime(net, n, "cpu")
    host = list(_host_steps(net, last, state, settings, 11, ban, None, torch.device("cpu")))
    dev = list(device_steps(net, last, state, settings, 11, ban, block=block))
    assert len(dev) == len(host) == 50
    assert [t for t, _ in dev] == [t for t, _ in host]
    assert all(7 not in t and 1 not in t for t, _ in dev)
    torch.testing.assert_close(torch.tensor([lp for _, lp in dev]),
                               torch.tensor([lp for _, lp in host]), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_a_constraint_sees_the_same_masks_and_tokens(cell):
    net = _net(cell)
    settings = SampleSettings(max_length=30, count=3, seed=4, temperature=1.2)
    last, state = _prime(net, 3, "cpu")
    g_host, g_dev = _ToyGrammar(3, 14), _ToyGrammar(3, 14)
    host = list(_host_steps(net, last, state, settings, 4, (1,), g_host, torch.device("cpu")))
    dev = list(device_steps(net, last, state, settings, 4, (1,), constraint=g_dev))
    assert [t for t, _ in dev] == [t for t, _ in host]
    assert g_dev.calls == g_host.calls and len(g_dev.calls) == 30
    _kept_the_toy_grammar(g_dev.calls)


def _kept_the_toy_grammar(calls):
    for k in range(1, len(calls)):
        if k % 4:  # a masked step: each row moved 1..5 on from its last token
            assert all((t - p) % 14 in range(1, 6) for p, t in zip(calls[k - 1], calls[k]))


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_cell_stack_logits_equal_the_full_forward(cell):
    """Independent reference: nn.LSTM/GRU/RNN over the whole sequence at once."""
    net = _net(cell, layers=3)
    seq = torch.tensor([[0, 4, 2, 9, 9, 3, 11, 5]])
    with torch.no_grad():
        ref, _ = net(seq)
        cells = CellStack(net)
        state, spare = cells.new_state(1, "cpu"), cells.new_state(1, "cpu")
        got = []
        for t in seq[0]:
            got.append(cells.step(t.view(1), state, spare)[0])
            state, spare = spare, state
    torch.testing.assert_close(torch.stack(got), ref[0], atol=1e-5, rtol=1e-5)


def test_cuda_graph_request_on_cpu_falls_back_to_the_same_take():
    net = _net("lstm")
    s = SampleSettings(max_length=40, count=2, seed=3, top_k=5)
    assert sample(net, [0, 2], s, cuda_graph=True) == sample(net, [0, 2], s, cuda_graph=False) \
        == sample(net, [0, 2], s)


@pytest.mark.parametrize("value,on", [(None, True), ("1", True), ("0", False), ("", True)])
def test_cuda_graphs_are_on_unless_the_escape_hatch_says_0(monkeypatch, value, on):
    """STUDIO_CUDA_GRAPHS=0 turns graph capture off (docs: an escape hatch); anything else,
    or nothing, leaves it on."""
    if value is None:
        monkeypatch.delenv("STUDIO_CUDA_GRAPHS", raising=False)
    else:
        monkeypatch.setenv("STUDIO_CUDA_GRAPHS", value)
    assert graphs_enabled() is on


def test_early_close_and_all_done_stop_the_block_stream():
    net = _net("gru")
    s = SampleSettings(max_length=100, count=1, seed=5, temperature=0)
    last, state = _prime(net, 1, "cpu")
    it = device_steps(net, last, state, s, 5, (1,), block=8)
    first = [next(it) for _ in range(3)]
    it.close()
    again = list(device_steps(net, last, state, s, 5, (1,), block=8))[:3]
    assert first == again  # a reused runner starts afresh from the given state


def test_two_takes_at_once_do_not_share_buffers():
    """The window can start a take while an abandoned one still runs: interleaved, each
    take is what it is alone."""
    net = _net("lstm")
    s = SampleSettings(max_length=40, count=2, seed=0)
    last, state = _prime(net, 2, "cpu")
    alone = [list(device_steps(net, last, state, s, seed, (1,), block=4)) for seed in (1, 2)]
    a = device_steps(net, last, state, s, 1, (1,), block=4)
    b = device_steps(net, last, state, s, 2, (1,), block=4)
    both = [[], []]
    for _ in range(40):
        both[0].append(next(a))
        both[1].append(next(b))
    assert both == alone and alone[0] != alone[1]


# -- on a CUDA GPU: a captured graph against the same block run eagerly -------------------

@CUDA
@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("n", [1, 8])
@pytest.mark.parametrize("shape", SETTINGS)
def test_cuda_graph_take_equals_the_eager_take(cell, n, shape):
    net = _net(cell, vocab=65, device="cuda")
    s = SampleSettings(max_length=150, count=n, seed=21, **shape)
    graph = list(sample_stream(net, [0, 4, 7], s, cuda_graph=True))
    eager = list(sample_stream(net, [0, 4, 7], s, cuda_graph=False))
    assert [st.tokens for st in graph] == [st.tokens for st in eager]
    # the same kernels in the same order: equal up to float32 rounding at most
    torch.testing.assert_close(torch.tensor([st.logprobs for st in graph]),
                               torch.tensor([st.logprobs for st in eager]), atol=1e-6, rtol=0)
    assert sample(net, [0, 4, 7], s) == [[t for st in graph for t in [st.tokens[i]] if t >= 0]
                                         for i in range(n)]


@CUDA
def test_cuda_graph_is_reused_and_reseeded():
    net = _net("lstm", vocab=65, device="cuda")
    a = SampleSettings(max_length=80, seed=1)
    b = SampleSettings(max_length=80, seed=2)
    first = sample(net, [0], a)
    runner = net.__dict__["_block_runner"][1]
    assert runner.graph is not None
    assert sample(net, [0], b) != first
    assert sample(net, [0], a) == first
    assert net.__dict__["_block_runner"][1] is runner  # captured once
    assert sample(net, [0], a, cuda_graph=False) == first


@CUDA
def test_cuda_graph_with_a_constraint_equals_eager():
    net = _net("gru", vocab=14, device="cuda")
    s = SampleSettings(max_length=60, count=3, seed=9)
    g1, g2 = _ToyGrammar(3, 14), _ToyGrammar(3, 14)
    graph = sample(net, [0], s, constraint=g1, cuda_graph=True)
    eager = sample(net, [0], s, constraint=g2, cuda_graph=False)
    assert graph == eager and g1.calls == g2.calls
    _kept_the_toy_grammar(g1.calls)


@CUDA
def test_cuda_cell_stack_matches_the_cudnn_forward():
    net = _net("lstm", layers=2, vocab=65, device="cuda")
    seq = torch.randint(2, 65, (4, 40), device="cuda")
    with torch.no_grad():
        ref, _ = net(seq)
        cells = CellStack(net)
        state, spare = cells.new_state(4, "cuda"), cells.new_state(4, "cuda")
        got = []
        for t in range(seq.size(1)):
            got.append(cells.step(seq[:, t], state, spare))
            state, spare = spare, state
    # cuDNN and cuBLAS sum in other orders (and cuDNN may use TF32): float32 rounding only
    torch.testing.assert_close(torch.stack(got, 1), ref, atol=2e-3, rtol=2e-3)

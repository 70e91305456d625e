import pytest
import torch

from studio.core.net import NetConfig, SequenceNet
from studio.core.sampling.sampler import SampleSettings, sample, sample_stream


def _net(seed=0, vocab=12):
    torch.manual_seed(seed)
    return SequenceNet(NetConfig(cell="lstm", vocab_size=vocab, layers=2, hidden=16, embedding=8)).eval()


def test_same_seed_same_sample_and_different_seed_differs():
    net = _net()
    s = SampleSettings(max_length=50, count=3, seed=7, stop_at_end=False)
    assert sample(net, [0], s) == sample(net, [0], s)
    other = SampleSettings(max_length=50, count=3, seed=8, stop_at_end=False)
    assert sample(net, [0], s) != sample(net, [0], other)


def test_temperature_zero_is_argmax_of_the_full_forward():
    net = _net()
    prime = [0, 3, 4]
    out = sample(net, prime, SampleSettings(temperature=0, max_length=15, stop_at_end=False))[0]
    seq = list(prime)
    with torch.no_grad():
        for _ in range(15):  # the slow, obviously right way: re-run the prefix each step
            logits, _ = net(torch.tensor([seq]))
            logits[0, -1, 1] = float("-inf")  # <unk> is never sampled
            seq.append(int(logits[0, -1].argmax()))
    assert out == seq[len(prime):]


def _logits_along(net, row, prime=(0,)):
    """The full forward's logits before each token of ``row`` (<unk> banned, as sampled)."""
    full = list(prime) + row
    with torch.no_grad():
        logits, _ = net(torch.tensor([full[:-1]]))
    logits[0, :, 1] = float("-inf")
    return logits[0, len(prime) - 1:]


def test_top_k_never_leaves_the_top_k():
    net = _net()
    k = 3
    settings = SampleSettings(temperature=1.5, top_k=k, max_length=40, count=8, seed=1, stop_at_end=False)
    for row in sample(net, [0], settings):
        top = torch.topk(_logits_along(net, row), k, dim=-1).indices
        for t, tok in enumerate(row):
            assert tok in top[t].tolist()


def test_top_p_keeps_only_the_nucleus():
    net = _net()
    settings = SampleSettings(top_p=0.3, max_length=30, count=4, seed=2, stop_at_end=False)
    for row in sample(net, [0], settings):
        probs = torch.softmax(_logits_along(net, row), -1)
        for t, tok in enumerate(row):
            p_sorted, order = probs[t].sort(descending=True)
            before = p_sorted.cumsum(0) - p_sorted
            nucleus = order[before < 0.3].tolist()
            assert tok in nucleus


def test_rows_stop_at_end_token_and_are_padded_after():
    net = _net()
    with torch.no_grad():  # make <end> overwhelmingly likely after any token
        net.head.bias[0] = 50.0
    steps = list(sample_stream(net, [2], SampleSettings(max_length=20, count=4, seed=0)))
    assert len(steps) == 1 and all(steps[0].done) and steps[0].tokens == [0, 0, 0, 0]


class _CountingConstraint:
    """Allows every token; counts the steps the sampler actually computed."""

    def __init__(self):
        self.masks = 0
        self.advances = 0

    def mask(self, step):
        self.masks += 1
        return None

    def advance(self, tokens):
        self.advances += 1


def test_stream_can_be_stopped_at_once():
    net = _net().train()  # the sampler switches to eval and must switch back on Stop
    spy = _CountingConstraint()
    gen = sample_stream(net, [0], SampleSettings(max_length=10_000, stop_at_end=False, seed=0),
                        constraint=spy)
    first = [next(gen) for _ in range(5)]
    assert not net.training  # sampling runs in eval mode (dropout off)
    gen.close()  # the GUI's Stop: no more work after this
    assert [s.index for s in first] == [0, 1, 2, 3, 4]
    assert (spy.masks, spy.advances) == (5, 5)  # no step computed ahead of the consumer
    with pytest.raises(StopIteration):
        next(gen)
    assert (spy.masks, spy.advances) == (5, 5)
    assert net.training  # the model's mode is restored when the stream is closed


def test_constraint_mask_is_obeyed():
    net = _net()

    class OnlyFive:
        def mask(self, step):
            m = torch.zeros(2, 12, dtype=torch.bool)
            m[:, 5] = True
            return m

        def advance(self, tokens):
            self.seen = tokens

    rows = sample(net, [0], SampleSettings(max_length=10, count=2, seed=0, stop_at_end=False),
                  constraint=OnlyFive())
    assert rows == [[5] * 10, [5] * 10]


def _greedy_by_rerun(net, prime, steps):
    """The slow, obviously right greedy continuation: re-run the whole prefix each step."""
    seq = list(prime)
    with torch.no_grad():
        for _ in range(steps):
            logits, _ = net(torch.tensor([seq]))
            logits[0, -1, 1] = float("-inf")
            seq.append(int(logits[0, -1].argmax()))
    return seq[len(prime):]


def test_per_row_primes():
    net = _net(seed=4)
    primes = [[0, 2, 7], [0, 3, 9], [5, 5, 5]]
    rows = sample(net, primes, SampleSettings(temperature=0, max_length=12, count=3, stop_at_end=False))
    assert rows == [_greedy_by_rerun(net, p, 12) for p in primes]
    assert len({tuple(r) for r in rows}) == 3  # each row continued its own prime


def test_stream_rows_is_the_same_draw_as_generate_texts(tmp_path):
    from studio.core.checkpoint import Checkpoint
    from studio.core.sampling.generate import generate_texts, stream_rows
    from studio.core.vocab import Vocab

    vocab = Vocab.from_text("abcdefghij")
    torch.manual_seed(0)
    net = SequenceNet(NetConfig(cell="gru", vocab_size=len(vocab), layers=1, hidden=16, embedding=8))
    ck = Checkpoint(model=net, vocab=vocab, meta={"domain": "text"})
    settings = SampleSettings(max_length=30, count=3, seed=5)
    rows = ["ab"] * 3
    for pieces in stream_rows(ck, "ab", settings):
        rows = [r + p for r, p in zip(rows, pieces)]
    assert rows == generate_texts(ck, "ab", settings)


def test_class_temperatures_temper_inside_each_class_and_keep_class_mass():
    from studio.core.sampling.sampler import shape_logits

    z = torch.tensor([[2.0, 0.5, -1.0, 1.0, 0.0, float("-inf")]])
    classes = (0, 0, 0, 1, 1, 1)
    s = SampleSettings(temperature=0.8, token_classes=classes, class_temperatures=(0.5, 2.0))
    p = torch.softmax(shape_logits(z, s), -1)[0]
    # reference, written out: a class's mass is what it has at the overall temperature,
    # the choice inside it is tempered by its own temperature
    plain = torch.softmax(z[0] / 0.8, -1)
    mass = [float(plain[:3].sum()), float(plain[3:].sum())]
    inside0 = torch.softmax(z[0, :3] / 0.5, -1)
    inside1 = torch.softmax(torch.tensor([1.0, 0.0]) / 2.0, -1)
    expected = torch.cat([mass[0] * inside0, mass[1] * inside1, torch.zeros(1)])
    assert torch.allclose(p, expected, atol=1e-6)
    # the logits' offset does not matter (a per-token divisor would move mass between classes)
    assert torch.allclose(torch.softmax(shape_logits(z + 7.0, s), -1)[0], p, atol=1e-6)
    # every class at the overall temperature is plain temperature sampling
    same = SampleSettings(temperature=0.8, token_classes=classes, class_temperatures=(0.8, 0.8))
    assert torch.allclose(torch.softmax(shape_logits(z, same), -1)[0], plain, atol=1e-6)


def test_class_temperatures_are_validated():
    import pytest

    with pytest.raises(ValueError):
        SampleSettings(token_classes=(0, 1), class_temperatures=(1.0,))
    with pytest.raises(ValueError):
        SampleSettings(token_classes=(0, 0), class_temperatures=(0.0,))


def test_small_cpu_batches_step_through_the_torchscript_stack(monkeypatch):
    # measured (docs/BENCH.md): on CPU the TorchScript cell stack is faster up to batch 8,
    # the fused nn module above; the choice is invisible in the tokens, so it is checked here
    net = _net()
    used = []
    real = SequenceNet.stepper
    monkeypatch.setattr(SequenceNet, "stepper", lambda self: used.append(1) or real(self))
    for count, scripted in ((1, True), (8, True), (9, False), (64, False)):
        used.clear()
        sample(net, [0], SampleSettings(max_length=3, count=count, seed=1, stop_at_end=False))
        assert bool(used) == scripted, count

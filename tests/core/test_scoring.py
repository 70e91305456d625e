"""P(sequence): the scorer against references computed here.

1. log P equals the sum of log-softmax over one full forward pass of the bounded sequence
   (``<end> name <end>`` for names and jazz, so the closing end token counts; text from
   its first character).
2. A names model defines a distribution over all names: the probabilities of every name
   over a two-letter alphabet, up to a length where the tail is negligible, sum to 1.
"""

import itertools
import math

import pytest
import torch

from studio.core.checkpoint import Checkpoint
from studio.core.net import NetConfig, SequenceNet
from studio.core.sampling.scoring import score_sequence
from studio.core.vocab import Vocab


def _ckpt(vocab, domain, seed=0, cell="lstm"):
    torch.manual_seed(seed)
    net = SequenceNet(NetConfig(cell=cell, vocab_size=len(vocab), layers=2, hidden=16, embedding=8)).eval()
    with torch.no_grad():
        net.head.weight.mul_(4.0)  # a peaky model, so a wrong index shows
    return Checkpoint(model=net, vocab=vocab, meta={"domain": domain})


def reference_logprob(net, ids):
    """sum_t log softmax(logits_t)[ids[t+1]] from one forward pass over ids[:-1]."""
    with torch.no_grad():
        logits, _ = net(torch.tensor([ids[:-1]]))
    logp = torch.log_softmax(logits[0].double(), -1)
    return [float(logp[t, ids[t + 1]]) for t in range(len(ids) - 1)], logp


@pytest.mark.parametrize("domain", ["names", "text"])
def test_log_p_is_the_sum_of_log_softmax_of_one_forward(domain):
    vocab = Vocab.from_text("abcdefgh\n ")
    ck = _ckpt(vocab, domain)
    text = "badcafe" if domain == "names" else "cab bead\nfade"
    ids = vocab.encode(text)
    if domain == "names":
        ids = [vocab.end_id] + ids + [vocab.end_id]  # starts after <end>, ends with it
    per_step, logp = reference_logprob(ck.model, ids)
    res = score_sequence(ck, text, top=3)
    assert res.text == text
    assert all(len(step.top) == 5 for step in score_sequence(ck, text).steps)  # the default top
    assert res.logprob == pytest.approx(sum(per_step), abs=1e-4)
    assert res.tokens == len(per_step) == len(res.steps)
    assert res.nll_per_token == pytest.approx(-sum(per_step) / len(per_step), abs=1e-5)
    assert res.perplexity == pytest.approx(math.exp(-sum(per_step) / len(per_step)), rel=1e-5)
    assert res.probability == pytest.approx(math.exp(sum(per_step)), rel=1e-4)
    for t, step in enumerate(res.steps):
        assert step.token == vocab.token_text(ids[t + 1])
        assert step.prob == pytest.approx(math.exp(per_step[t]), rel=1e-4)
        best = torch.topk(logp[t], 3)
        assert [tok for tok, _ in step.top] == [vocab.token_text(i) for i in best.indices.tolist()]
        assert [p for _, p in step.top] == pytest.approx(best.values.exp().tolist(), rel=1e-4)
    if domain == "names":
        assert res.steps[-1].token == vocab.token_text(vocab.end_id)


def test_jazz_tokens_are_scored_between_end_tokens():
    vocab = Vocab.from_tokens(["BAR", "POS_0", "PITCH_60", "DUR_12"], kind="event")
    ck = _ckpt(vocab, "jazz", seed=3, cell="gru")
    tokens = ["BAR", "POS_0", "PITCH_60", "DUR_12", "BAR"]
    ids = [vocab.end_id] + vocab.encode(tokens) + [vocab.end_id]
    per_step, _ = reference_logprob(ck.model, ids)
    res = score_sequence(ck, tokens)
    assert res.logprob == pytest.approx(sum(per_step), abs=1e-4) and res.tokens == 6
    assert res.text == "BAR POS_0 PITCH_60 DUR_12 BAR"


def test_names_probabilities_sum_to_one_over_all_names():
    vocab = Vocab.from_text("ab")
    ck = _ckpt(vocab, "names", seed=1, cell="gru")
    with torch.no_grad():  # end likely at every step, <unk> never: the tail is tiny
        ck.model.head.bias[vocab.end_id] = 3.0
        ck.model.head.bias[vocab.unk_id] = -60.0
    total = 0.0
    for n in range(0, 9):
        for letters in itertools.product("ab", repeat=n):
            total += score_sequence(ck, "".join(letters)).probability
    # names longer than 8 letters carry the rest: P(end) is above 0.75 at every step of this
    # model, so that tail is below 0.25 ** 9 < 1e-5
    assert 1 - 1e-5 < total <= 1 + 1e-6, total


def test_too_short_sequences_are_refused():
    vocab = Vocab.from_text("ab")
    with pytest.raises(ValueError) as err:
        score_sequence(_ckpt(vocab, "text"), "a")
    assert str(err.value) == "a sequence needs at least two characters to be scored"


def test_scoring_uses_eval_mode_and_caps_top_at_the_vocabulary():
    vocab = Vocab.from_text("abc")
    torch.manual_seed(2)
    net = SequenceNet(NetConfig(cell="gru", vocab_size=len(vocab), layers=2, hidden=16, embedding=8,
                                dropout=0.5)).train()  # dropout on: scoring must switch it off
    ck = Checkpoint(model=net, vocab=vocab, meta={"domain": "names"})
    first, second = score_sequence(ck, "abcab", top=50), score_sequence(ck, "abcab", top=50)
    assert first.logprob == second.logprob
    net.eval()
    per_step, _ = reference_logprob(net, [0] + vocab.encode("abcab") + [0])
    assert first.logprob == pytest.approx(sum(per_step), abs=1e-4)
    assert all(len(step.top) == len(vocab) for step in first.steps)  # top capped at V
    assert all(sum(p for _, p in step.top) == pytest.approx(1.0, abs=1e-5) for step in first.steps)


def test_a_long_text_is_scored_in_windows_with_progress_and_a_stop():
    """Issue 25, defect 4: 48k characters gave no progress and no Stop. The windows carry
    the state across, so every step matches the one-pass reference; progress is told after
    each window; ``should_stop`` ends the pass between windows."""
    from studio.core.sampling import scoring

    vocab = Vocab.from_text("abcdefgh\n ")
    for cell in ("lstm", "gru"):
        ck = _ckpt(vocab, "text", cell=cell)
        text = ("cab bead\nfade hag " * 60)[: scoring.WINDOW * 3 + 17]
        ids = vocab.encode(text)
        want, _ = reference_logprob(ck.model, ids)
        told = []
        res = score_sequence(ck, text, progress=lambda done, total: told.append((done, total)))
        assert [s.prob for s in res.steps] == pytest.approx([math.exp(w) for w in want], rel=1e-4)
        total = len(ids) - 1
        assert told == [(min(n * scoring.WINDOW, total), total) for n in range(1, 5)]
    polls = []
    with pytest.raises(scoring.ScoringStopped, match="after 512 of"):
        score_sequence(ck, text, should_stop=lambda: polls.append(1) or len(polls) > 2)

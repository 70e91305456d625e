import pytest
import torch

from studio.core.net import NetConfig, SequenceNet
from studio.core.vocab import Vocab, VocabError


def test_char_vocab_round_trip():
    v = Vocab.from_text("hello world\nsecond line")
    ids = v.encode("hello\nworld")
    assert v.decode(ids) == "hello\nworld"
    assert v.tokens[:2] == ["<end>", "<unk>"]
    assert Vocab.from_json(v.to_json()) == v


def test_out_of_vocabulary_rejected_with_character_and_line():
    v = Vocab.from_text("abc\n")
    with pytest.raises(VocabError) as err:
        v.encode("ab\nbz")
    msg = str(err.value)
    assert "'z'" in msg and "line 2" in msg and "column 2" in msg


def test_out_of_vocabulary_unk_policy():
    v = Vocab.from_text("abc")
    ids = v.encode("abz", policy="unk")
    assert ids[-1] == v.unk_id
    assert v.decode(ids) == "ab?"


def test_event_vocab_round_trip():
    v = Vocab.from_tokens(["BAR", "POS_0", "PITCH_60"], kind="event")
    seq = ["BAR", "POS_0", "PITCH_60"]
    assert v.decode(v.encode(seq)) == seq


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_stepper_matches_fused_forward(cell):
    torch.manual_seed(0)
    net = SequenceNet(NetConfig(cell=cell, vocab_size=20, layers=3, hidden=24, embedding=8)).eval()
    tokens = torch.randint(0, 20, (3, 11))
    with torch.no_grad():
        full, _ = net(tokens)
        step = net.stepper()
        state = net.initial_state(3)
        outs = []
        for t in range(tokens.size(1)):
            logits, state = step.step(tokens[:, t], state)
            outs.append(logits)
    assert torch.allclose(torch.stack(outs, 1), full, atol=1e-5)


def test_config_validation():
    with pytest.raises(ValueError):
        NetConfig(cell="transformer", vocab_size=10)
    with pytest.raises(ValueError):
        NetConfig(cell="lstm", vocab_size=0)

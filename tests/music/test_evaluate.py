import json
import math

import pytest
import torch

from studio.core.checkpoint import Checkpoint
from studio.core.net import NetConfig, SequenceNet
from studio.core.vocab import Vocab
from studio.music.encoding import encode_solo, jazz_vocab_tokens, split_solos
from studio.music.analysis.evaluate import evaluate_jazz, held_out_likelihood
from studio.music.corpus.dataset import load_jazz_corpus


def test_evaluate_jazz_on_a_tiny_midi_corpus(tmp_path, make_midi):
    for i in range(6):
        make_midi(tmp_path / f"tune{i}.mid", [{"notes": [(b / 2, 0.5, 60 + (b * 5 + i) % 14) for b in range(32)],
                                               "texts": [(0, "C7"), (8, "F7")]}])
    torch.manual_seed(0)
    vocab = Vocab.from_tokens(jazz_vocab_tokens(), kind="event")
    net = SequenceNet(NetConfig(cell="gru", vocab_size=len(vocab), layers=1, hidden=16, embedding=8))
    ck = Checkpoint(model=net, vocab=vocab, meta={"domain": "jazz", "name": "tiny"})
    out = evaluate_jazz(ck, tmp_path, choruses=2, seed=1, held_out=False)  # the split, as trained
    json.dumps(out)
    assert out["val_solos"] >= 1
    # the reference: the held-out solos as one <end>-separated stream, cut into 16
    # contiguous lanes (the trainer's validation layout), each read from a zero state
    _, val = split_solos(load_jazz_corpus(tmp_path).solos, 0.1)
    assert len(val) == out["val_solos"]
    ids = [0]
    for solo in val:
        ids += vocab.encode(encode_solo(solo)) + [0]
    lanes = min(16, (len(ids) - 1) // 2)
    length = (len(ids) - 1) // lanes
    x = torch.tensor(ids[:lanes * length]).view(lanes, length)
    y = torch.tensor(ids[1:lanes * length + 1]).view(lanes, length)
    with torch.no_grad():
        logits, _ = net(x)
    nll = torch.nn.functional.cross_entropy(logits.reshape(-1, len(vocab)), y.reshape(-1), reduction="none")
    events = torch.tensor([vocab.tokens[t].startswith(("POS_", "PITCH_", "DUR_")) for t in y.reshape(-1).tolist()])
    assert out["val_tokens"] == y.numel() and out["val_note_event_tokens"] == int(events.sum())
    assert out["val_nll"] == pytest.approx(float(nll.mean()), abs=1e-4)
    assert out["val_nll_note_events"] == pytest.approx(float(nll[events].mean()), abs=1e-4)
    assert out["val_perplexity"] == pytest.approx(math.exp(float(nll.mean())), rel=1e-3)
    assert out["well_formed"] is True and set(out["takes"]) == {"Bb blues", "Rhythm changes (Bb)", "ii-V-I cycle"}
    assert out["takes"]["Bb blues"]["bars"] == 24
    assert out["same_corpus_as_training"] is False
    # the likelihood half alone (a GPU sweep ranks its models by it) gives the same figures
    alone = held_out_likelihood(ck, load_jazz_corpus(tmp_path), held_out=False)
    assert set(alone) == {"same_corpus_as_training", "held_out", "solos_scored", "chord_aware", "val_solos", "val_tokens",
                          "val_nll", "val_perplexity", "val_nll_note_events", "val_note_event_tokens"}
    assert alone == {k: out[k] for k in alone}

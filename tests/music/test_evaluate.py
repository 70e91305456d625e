import json

import pytest
import torch

pytest.importorskip("studio.core.evaluate", reason="engine (studio.core) not present yet")

from studio.core.checkpoint import Checkpoint  # noqa: E402
from studio.core.net import NetConfig, SequenceNet  # noqa: E402
from studio.core.vocab import Vocab  # noqa: E402
from studio.music.encoding import jazz_vocab_tokens  # noqa: E402
from studio.music.evaluate import evaluate_jazz  # noqa: E402


def test_evaluate_jazz_on_a_tiny_midi_corpus(tmp_path, make_midi):
    for i in range(6):
        make_midi(tmp_path / f"tune{i}.mid", [{"notes": [(b / 2, 0.5, 60 + (b * 5 + i) % 14) for b in range(32)],
                                               "texts": [(0, "C7"), (8, "F7")]}])
    torch.manual_seed(0)
    vocab = Vocab.from_tokens(jazz_vocab_tokens(), kind="event")
    net = SequenceNet(NetConfig(cell="gru", vocab_size=len(vocab), layers=1, hidden=16, embedding=8))
    ck = Checkpoint(model=net, vocab=vocab, meta={"domain": "jazz", "name": "tiny"})
    out = evaluate_jazz(ck, tmp_path, choruses=2, seed=1)
    json.dumps(out)
    assert out["val_solos"] >= 1 and out["val_nll"] > 0
    assert out["val_perplexity"] == pytest.approx(2.718281828 ** out["val_nll"], rel=1e-3)
    assert out["well_formed"] is True and set(out["takes"]) == {"Bb blues", "Rhythm changes (Bb)", "ii-V-I cycle"}
    assert out["takes"]["Bb blues"]["bars"] == 24
    assert out["same_corpus_as_training"] is False

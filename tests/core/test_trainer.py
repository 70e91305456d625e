import math
from collections import Counter

import pytest
import torch

from studio.core.checkpoint import load_checkpoint
from studio.core.data import load_corpus
from studio.core.training.trainer import Trainer, TrainConfig


def _unigram_entropy(seqs):
    counts = Counter(t for s in seqs for t in s[1:])
    total = sum(counts.values())
    return -sum(c / total * math.log(c / total) for c in counts.values())


def test_names_training_beats_unigram_entropy(tmp_path, names_file):
    corpus = load_corpus(names_file, "names")
    cfg = TrainConfig(kind="names", cell="gru", layers=1, hidden=64, embedding=16, batch_size=32,
                      epochs=12, lr=1e-2, warmup=5, eval_every=40, seed=0)
    events = []
    trainer = Trainer(cfg, corpus, tmp_path / "m.safetensors")
    for e in Trainer.EVENTS:
        trainer.on(e, events.append)
    result = trainer.run()
    h = _unigram_entropy(corpus.val_sequences())
    assert result["best_val"] < 0.6 * h, (result["best_val"], h)
    kinds = {e["event"] for e in events}
    assert {"report", "step", "eval", "sample", "checkpoint", "done"} <= kinds
    step = next(e for e in events if e["event"] == "step")
    assert {"loss", "grad_norm", "tokens_per_s", "eta_s", "progress", "lr"} <= set(step)
    ck = load_checkpoint(tmp_path / "m.safetensors")
    assert ck.meta["metrics"]["val_nll"] == round(result["best_val"], 4)
    # the saved best model re-measured the plain way: every held-out name, one forward each
    total, count = 0.0, 0
    with torch.no_grad():
        for seq in corpus.val_sequences():
            logits, _ = ck.model(torch.tensor([seq[:-1]]))
            total += float(torch.nn.functional.cross_entropy(logits[0], torch.tensor(seq[1:]), reduction="sum"))
            count += len(seq) - 1
    assert total / count == pytest.approx(result["best_val"], abs=1e-5)
    assert ck.meta["corpus"]["sha256"] == corpus.sha256 and ck.meta["history"]


def _stream_config(**kw):
    base = dict(kind="text", cell="lstm", layers=1, hidden=32, embedding=8, batch_size=4, window=16,
                max_steps=24, epochs=5, lr=5e-3, warmup=2, eval_every=8, seed=3, dropout=0.1)
    base.update(kw)
    return TrainConfig(**base)


@pytest.mark.parametrize("cell", ["lstm", "gru"])  # carried state: (h, c) or h alone
def test_resume_reaches_the_same_state_as_an_uninterrupted_run(tmp_path, text_file, cell, device):
    """With dropout, so the resume file must carry the RNG of the device the masks come from."""
    corpus = load_corpus(text_file, "text")
    straight = Trainer(_stream_config(cell=cell, device=device), corpus, tmp_path / "a.safetensors")
    straight.run()

    first = Trainer(_stream_config(cell=cell, device=device), corpus, tmp_path / "b.safetensors")
    first.on("step", lambda e: first.request_stop() if e["step"] == 11 else None)
    stopped = []
    first.on("stopped", stopped.append)
    first.run()
    assert stopped and stopped[0]["step"] == 11
    second = Trainer(_stream_config(cell=cell, device=device), corpus, tmp_path / "b.safetensors", resume=stopped[0]["resume_path"])
    assert second.step == 11
    second.run()
    a = straight.model.state_dict()
    b = second.model.state_dict()
    for k in a:
        assert torch.allclose(a[k], b[k], atol=1e-6), k
    assert second.step == straight.step == 24


def test_early_stopping_and_clip_off(tmp_path, text_file):
    corpus = load_corpus(text_file, "text")
    cfg = _stream_config(lr=0.0, warmup=0, schedule="constant", patience=2, eval_every=2, max_steps=40, clip=0)
    trainer = Trainer(cfg, corpus, tmp_path / "c.safetensors")
    norms = []
    trainer.on("step", lambda e: norms.append(e["grad_norm"]))
    result = trainer.run()
    assert result["steps"] < 40  # no learning -> no improvement -> stopped early
    assert all(n > 0 for n in norms)  # the norm is measured even with clipping off

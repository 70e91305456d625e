"""The trainer on a jazz corpus (MIDI files made here): event tokens in, samples at each
evaluation shown as the first 40 events."""

from studio.core.data import load_corpus
from studio.core.training.trainer import Trainer, TrainConfig


def test_jazz_training_samples_events(tmp_path, make_midi):
    for i in range(4):
        notes = [(b / 2, 0.5, 60 + (b * 5 + i) % 12) for b in range(32)]
        make_midi(tmp_path / f"tune{i}.mid", [{"notes": notes, "texts": [(0, "Dm7"), (4, "G7")]}])
    corpus = load_corpus(tmp_path, "jazz")
    cfg = TrainConfig(kind="jazz", cell="gru", layers=1, hidden=16, embedding=8, batch_size=2, window=32,
                      max_steps=2, eval_every=2, warmup=0, seed=1, device="cpu")
    trainer = Trainer(cfg, corpus, tmp_path / "j.safetensors")
    samples = []
    trainer.on("sample", samples.append)
    trainer.run()
    (sample,) = samples
    events = sample["text"].split(" ")
    assert len(events) == 40 and set(events) <= set(corpus.vocab.tokens)

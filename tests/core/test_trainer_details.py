"""The trainer's observable details: the learning-rate schedule the optimizer really gets,
the events and their figures, step counts, the checkpoint's metadata, early stopping,
fine-tuning and resume refusals. Small corpora and nets: every run here takes ~1 s."""

import math
import re
from dataclasses import asdict
from pathlib import Path

import pytest
import torch

from studio.core.checkpoint import load_checkpoint
from studio.core.data import load_corpus
from studio.core.training.trainer import Trainer, TrainConfig, resume_path_for


def _cfg(**kw):
    base = dict(kind="names", cell="gru", layers=1, hidden=16, embedding=8, batch_size=16, epochs=2,
                lr=0.01, warmup=0, schedule="constant", eval_every=5, sample_every=1, seed=2,
                device="cpu", dropout=0.0)
    base.update(kw)
    return TrainConfig(**base)


def _run(corpus, cfg, out, **trainer_kw):
    trainer = Trainer(cfg, corpus, out, **trainer_kw)
    events, used_lr = [], []
    for e in Trainer.EVENTS:
        trainer.on(e, events.append)
    step = trainer.optimizer.step

    def spy(*a, **k):
        used_lr.append(trainer.optimizer.param_groups[0]["lr"])
        return step(*a, **k)

    trainer.optimizer.step = spy
    result = trainer.run()
    return trainer, events, used_lr, result


@pytest.fixture
def names(names_file):
    return load_corpus(names_file, "names")


def expected_lr(cfg, step, total):
    """The schedule as documented: linear warmup, then constant or cosine down to
    lr * min_lr_ratio at the last step."""
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    if cfg.schedule == "constant":
        return cfg.lr
    progress = min(1.0, (step - cfg.warmup) / max(1, total - cfg.warmup))
    return cfg.lr * (cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * (1 + math.cos(math.pi * progress)) / 2)


@pytest.mark.parametrize("schedule,warmup", [("cosine", 4), ("constant", 3), ("cosine", 0)])
def test_the_optimizer_gets_the_scheduled_lr_and_events_report_it(tmp_path, names, schedule, warmup):
    cfg = _cfg(schedule=schedule, warmup=warmup, max_steps=12, min_lr_ratio=0.2, eval_every=100)
    trainer, events, used, _ = _run(names, cfg, tmp_path / "m.safetensors")
    assert trainer.total_steps == 12
    assert used == pytest.approx([expected_lr(cfg, s, 12) for s in range(12)])
    reported = [e["lr"] for e in events if e["event"] == "step"]
    assert reported == pytest.approx(used)  # a step's event reports the lr that step used


def test_step_counts_and_step_events(tmp_path, names):
    cfg = _cfg(epochs=2, eval_every=4)
    trainer, events, _, result = _run(names, cfg, tmp_path / "m.safetensors")
    per_epoch = math.ceil(len(names.train_items) / 16)
    assert trainer.steps_per_epoch == per_epoch and trainer.total_steps == 2 * per_epoch
    steps = [e for e in events if e["event"] == "step"]
    assert [e["step"] for e in steps] == list(range(1, 2 * per_epoch + 1))
    assert steps[-1]["progress"] == 1.0 and steps[-1]["eta_s"] == 0.0 and steps[-1]["epoch"] == 2.0
    assert steps[0]["epoch"] == round(1 / per_epoch, 3) and steps[0]["progress"] == round(1 / (2 * per_epoch), 4)
    assert steps[per_epoch]["epoch"] == round(1 + 1 / per_epoch, 3)
    assert all(e["tokens_per_s"] > 0 and e["eta_s"] >= 0 and e["loss"] > 0 for e in steps)
    evals = [e for e in events if e["event"] == "eval"]
    assert [e["step"] for e in evals] == [s for s in range(1, 2 * per_epoch + 1) if s % 4 == 0 or s == 2 * per_epoch]
    assert all(e["best_val"] == min(x["val_loss"] for x in evals[:i + 1]) for i, e in enumerate(evals))
    assert sum(e["event"] == "sample" for e in events) == len(evals)
    assert [e["event"] for e in events][:2] == ["report", "info"] and events[-1]["event"] == "done"
    assert "stopped" not in [e["event"] for e in events]
    info = [e["message"] for e in events if e["event"] == "info"]
    assert info == [f"GRU 1x16, {trainer.model.num_parameters():,} parameters, on cpu, {2 * per_epoch} steps"]
    assert events[0] == {"event": "report", **names.report}
    tokens = sum(len(s) - 1 for s in names.train_sequences(0)) * 2
    assert trainer.tokens_seen == tokens
    assert result == {"best_val": min(e["val_loss"] for e in evals), "path": str(tmp_path / "m.safetensors"),
                      "steps": 2 * per_epoch, "resume_path": str(tmp_path / "m.last.safetensors"),
                      "seconds": result["seconds"]}
    done = events[-1]
    assert {k: done[k] for k in result} == result


def test_checkpoint_events_and_metadata(tmp_path, names):
    cfg = _cfg(epochs=3, eval_every=3, name="", half_weights=True, dropout=0.3, layers=2)
    out = tmp_path / "best.safetensors"
    trainer, events, _, result = _run(names, cfg, out)
    evals = [e for e in events if e["event"] == "eval"]
    saved = [e for e in events if e["event"] == "checkpoint"]
    improving = [e["step"] for i, e in enumerate(evals) if e["val_loss"] < min([math.inf] + [x["val_loss"] for x in evals[:i]])]
    assert [e["step"] for e in saved] == improving and all(e["best"] and e["path"] == str(out) for e in saved)
    ck = load_checkpoint(out)
    assert ck.model.config.dropout == 0.3 and trainer.model.rnn.dropout == 0.3
    meta = ck.meta
    assert meta["domain"] == "names" and meta["name"] == "best" and meta["encoding"] == "char-v1"
    assert meta["train_config"] == asdict(cfg)
    assert meta["corpus"] == names.meta() and meta["init_from"] is None
    assert meta["metrics"]["val_nll"] == round(result["best_val"], 4)
    assert meta["metrics"]["steps"] == saved[-1]["step"] and meta["metrics"]["device"] == "cpu"
    assert meta["metrics"]["parameters"] == trainer.model.num_parameters()
    best_at = saved[-1]["step"]
    assert [h["step"] for h in meta["history"]] == [e["step"] for e in evals if e["step"] <= best_at]
    h = meta["history"][0]
    assert set(h) == {"step", "train_loss", "val_loss", "tokens"} and h["val_loss"] == round(evals[0]["val_loss"], 4)
    from safetensors import safe_open

    with safe_open(str(out), "pt") as f:
        assert f.get_tensor("model.head.weight").dtype == torch.float16  # half_weights
    resume = load_checkpoint(resume_path_for(out))
    per_epoch = math.ceil(len(names.train_items) / 16)
    assert resume.meta["resume"]["step"] == result["steps"] == 3 * per_epoch
    assert (resume.meta["resume"]["epoch"], resume.meta["resume"]["batch_in_epoch"]) == (2, per_epoch)
    assert resume.meta["history"] == [{k: v for k, v in x.items()} for x in resume.meta["history"]]
    assert len(resume.meta["history"]) == len(evals)


def test_patience_stops_early_and_says_so(tmp_path, names):
    cfg = _cfg(lr=0.0, epochs=20, eval_every=2, patience=3)
    trainer, events, _, result = _run(names, cfg, tmp_path / "m.safetensors")
    evals = [e for e in events if e["event"] == "eval"]
    assert len(evals) == 4 and result["steps"] == 8  # the first sets the best, three fail to beat it
    assert "early stop: no improvement in 3 evaluations" in [e.get("message") for e in events]
    assert [e["event"] for e in events][-2:] == ["stopped", "done"]


def test_samples_at_evaluation(tmp_path, names, text_file):
    _, events, _, _ = _run(names, _cfg(max_steps=2, eval_every=2), tmp_path / "n.safetensors")
    (sample,) = [e for e in events if e["event"] == "sample"]
    assert sample["step"] == 2
    drawn = sample["text"].split(", ")
    assert len(drawn) == 6 and all(set(n) <= set(names.vocab.tokens[2:]) for n in drawn)
    assert any(drawn) and not all(len(n) == 40 for n in drawn)  # names end by themselves
    _, again, _, _ = _run(names, _cfg(max_steps=2, eval_every=2), tmp_path / "n2.safetensors")
    assert [e for e in again if e["event"] == "sample"] == [sample]  # seeded by the step
    text = load_corpus(text_file, "text")
    cfg = _cfg(kind="text", max_steps=2, eval_every=2, window=16, batch_size=4)
    _, events, _, _ = _run(text, cfg, tmp_path / "t.safetensors")
    (sample,) = [e for e in events if e["event"] == "sample"]
    assert len(sample["text"]) == 240 and set(sample["text"]) <= set(text.vocab.tokens[2:])


def test_fine_tune_keeps_the_architecture_and_refuses_another_domain(tmp_path, names, text_file):
    _run(names, _cfg(max_steps=2, hidden=24, layers=2), tmp_path / "base.safetensors")
    base = load_checkpoint(tmp_path / "base.safetensors")
    cfg = _cfg(max_steps=1, hidden=99, layers=1, cell="lstm")
    trainer = Trainer(cfg, names, tmp_path / "ft.safetensors", init_from=tmp_path / "base.safetensors")
    assert (cfg.cell, cfg.layers, cfg.hidden, cfg.embedding) == ("gru", 2, 24, 8)
    for a, b in zip(trainer.model.state_dict().values(), base.model.state_dict().values()):
        assert torch.equal(a, b)
    trainer.run()
    assert load_checkpoint(tmp_path / "ft.safetensors").meta["init_from"] == str(tmp_path / "base.safetensors")
    with pytest.raises(ValueError, match="cannot fine-tune a names model on a text corpus"):
        Trainer(_cfg(kind="text"), load_corpus(text_file, "text"), tmp_path / "x.safetensors",
                init_from=tmp_path / "base.safetensors")


def test_resume_refusals_and_notes(tmp_path, names, tmp_path_factory):
    _run(names, _cfg(max_steps=2), tmp_path / "m.safetensors")
    with pytest.raises(ValueError, match="m.safetensors is not a resume checkpoint"):
        Trainer(_cfg(max_steps=4), names, tmp_path / "m2.safetensors", resume=tmp_path / "m.safetensors")
    other = tmp_path_factory.mktemp("other") / "names.txt"
    other.write_text("\n".join(names.train_items[:-5] + names.val_items) + "\n", encoding="utf-8")
    changed = load_corpus(other, "names")
    best = (tmp_path / "m.safetensors").read_bytes()
    with pytest.raises(ValueError, match="was trained on a different corpus .*--allow-corpus-change"):
        Trainer(_cfg(max_steps=4), changed, tmp_path / "m.safetensors", resume=tmp_path / "m.last.safetensors")
    assert (tmp_path / "m.safetensors").read_bytes() == best  # refused before anything is written
    trainer, events, _, _ = _run(changed, _cfg(max_steps=4), tmp_path / "m.safetensors",
                                 resume=tmp_path / "m.last.safetensors", allow_corpus_change=True)
    assert "the corpus changed since this run started; resuming on the new one" in [e.get("message") for e in events]
    assert [e["step"] for e in events if e["event"] == "step"] == [3, 4]
    _, events, _, _ = _run(changed, _cfg(max_steps=6), tmp_path / "m.safetensors",
                           resume=tmp_path / "m.last.safetensors")  # the same corpus again: no note
    assert not any("corpus changed" in str(e.get("message")) for e in events)


def test_unknown_settings_and_resume_paths():
    with pytest.raises(ValueError, match="unknown training settings: colour, size"):
        TrainConfig.from_dict({"size": 1, "colour": 2, "lr": 0.1})
    assert TrainConfig.from_dict({"lr": 0.5, "kind": "text"}).lr == 0.5
    assert resume_path_for(Path("a/m.safetensors")) == Path("a/m.last.safetensors")
    assert resume_path_for(Path("a/m.pt")) == Path("a/m.last.safetensors")


def test_a_stop_saves_where_it_stopped_without_waiting_for_a_validation_pass(tmp_path, names):
    # Ctrl-C / Stop must be honoured at once (issue 9): the run writes its resume file at the
    # step it reached and skips the validation pass; Resume continues from there
    cfg = _cfg(epochs=5, eval_every=100, device="tpu")
    trainer = Trainer(cfg, names, tmp_path / "m.safetensors")
    events = []
    for e in Trainer.EVENTS:
        trainer.on(e, events.append)
    trainer.on("step", lambda e: trainer.request_stop() if e["step"] == 3 else None)
    result = trainer.run()
    assert result["steps"] == 3 and [e["step"] for e in events if e["event"] == "eval"] == []
    assert not (tmp_path / "m.safetensors").exists()  # no evaluation, so no best model yet
    # the device note, naming the devices that are here
    # (a GPU machine lists its GPUs first: cuda:0 (...); cpu (...))
    assert any(re.match(r"unknown device 'tpu'; using CPU \(here: (cuda:\d \(.*\); )*cpu \(",
                        str(e.get("message"))) for e in events)
    stopped = next(e for e in events if e["event"] == "stopped")
    assert stopped == {"event": "stopped", "step": 3, "resume_path": str(tmp_path / "m.last.safetensors")}
    resume = load_checkpoint(tmp_path / "m.last.safetensors", with_optimizer=True)
    assert resume.meta["resume"]["step"] == 3 and resume.meta["resume"]["batch_in_epoch"] == 3
    assert resume.optimizer_state["state"] and "torch_rng" in resume.extras
    again = Trainer(_cfg(epochs=5, eval_every=100), names, tmp_path / "m.safetensors",
                    resume=tmp_path / "m.last.safetensors")
    assert (again.step, again.epoch, again.batch_in_epoch) == (3, 0, 3)
    assert again.best_val == pytest.approx(result["best_val"]) and again.history == resume.meta["history"]

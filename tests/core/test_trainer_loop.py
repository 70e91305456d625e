"""The loop's reported figures, recomputed from their definitions on a clock the test owns.

The trainer reads time only through ``time.perf_counter``; here that is a fake clock that
moves only inside a training step, by a chosen amount, so tokens/s (an exponential moving
average, 0.9 old + 0.1 new), the ETA (elapsed / steps done this run x steps left), the
fractional epoch, the progress and the seconds a run and its resume add up are all known
in advance. Also: what the info lines say and in which order, and that resuming a finished
run trains nothing more."""

import math
from types import SimpleNamespace

import pytest

import studio.core.training.trainer as trainer_module
from studio.core.checkpoint import load_checkpoint
from studio.core.data import load_corpus
from studio.core.devices import resolve_device
from studio.core.training.trainer import Trainer, TrainConfig


def _cfg(**kw):
    base = dict(kind="names", cell="gru", layers=1, hidden=16, embedding=8, batch_size=16, epochs=2,
                max_steps=20, lr=0.01, warmup=0, schedule="constant", eval_every=5, sample_every=0,
                seed=2, device="cpu", dropout=0.0, patience=0)
    base.update(kw)
    return TrainConfig(**base)


@pytest.fixture
def names(names_file):
    return load_corpus(names_file, "names")


class Clock:
    """perf_counter for the trainer; advanced by the test, never by itself."""

    def __init__(self):
        self.now = 1000.0  # far from 0, so a sign slip in a difference shows

    def perf_counter(self):
        return self.now


def _timed(trainer, clock, seconds_for_step):
    """Each training step takes seconds_for_step(k) on the clock; returns the per-step log
    (tokens, the clock before and after)."""
    log = []
    real = trainer._train_step

    def step(batch):
        before = clock.now
        out = real(batch)
        clock.now += seconds_for_step(len(log) + 1)
        log.append((batch.tokens, before, clock.now))
        return out

    trainer._train_step = step
    return log


def _events(trainer):
    events = []
    for e in Trainer.EVENTS:
        trainer.on(e, events.append)
    return events


def _expected_step_figures(log, run_start, first_step, total, steps_per_epoch):
    """tokens/s, ETA, epoch and progress of each step, from their definitions."""
    rate, out = None, []
    for i, (tokens, before, after) in enumerate(log):
        k = first_step + i + 1
        dt = after - before
        rate = tokens / dt if rate is None else 0.9 * rate + 0.1 * tokens / dt
        eta = (after - run_start) / (i + 1) * (total - k)
        out.append(dict(step=k, tokens_per_s=round(rate, 1), eta_s=round(eta, 1),
                        epoch=round(k / steps_per_epoch, 3), progress=round(k / total, 4)))
    return out


def test_step_figures_seconds_and_the_result_on_a_fake_clock(tmp_path, names, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(trainer_module, "time", SimpleNamespace(perf_counter=clock.perf_counter))
    out = tmp_path / "m.safetensors"
    trainer = Trainer(_cfg(), names, out)
    events = _events(trainer)
    log = _timed(trainer, clock, lambda k: 0.25 + 0.137 * k)
    result = trainer.run()

    steps_per_epoch = math.ceil(len(names.train_items) / 16)  # 270 names -> 17
    assert trainer.total_steps == 20 and steps_per_epoch == 17
    expected = _expected_step_figures(log, 1000.0, 0, 20, steps_per_epoch)
    got = [{k: e[k] for k in expected[0]} for e in events if e["event"] == "step"]
    assert got == expected
    # the seconds: every step's time, nothing else (validation here takes no clock time)
    run_seconds = log[-1][2] - 1000.0
    evals = [e for e in events if e["event"] == "eval"]
    assert result == {"best_val": min(e["val_loss"] for e in evals), "path": str(out), "steps": 20,
                      "resume_path": str(tmp_path / "m.last.safetensors"), "seconds": round(run_seconds, 1)}
    assert [e for e in events if e["event"] == "done"] == [dict(event="done", **result)]
    assert not [e for e in events if e["event"] == "stopped"]
    # the best checkpoint records the training seconds up to its own validation
    best = load_checkpoint(out).meta
    best_step = best["metrics"]["steps"]
    assert best_step in (5, 10, 15, 20)
    assert best["metrics"]["train_seconds"] == round(log[best_step - 1][2] - 1000.0, 1)


def test_a_resumed_run_counts_its_eta_from_where_it_resumed_and_adds_up_seconds(tmp_path, names, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(trainer_module, "time", SimpleNamespace(perf_counter=clock.perf_counter))
    out = tmp_path / "m.safetensors"
    first = Trainer(_cfg(), names, out)
    stopped = []
    first.on("stopped", stopped.append)
    first.on("step", lambda e: first.request_stop() if e["step"] == 8 else None)
    first_log = _timed(first, clock, lambda k: 0.3 + 0.11 * k)
    first.run()
    assert stopped == [dict(event="stopped", step=8, resume_path=str(tmp_path / "m.last.safetensors"))]
    first_seconds = first_log[-1][2] - 1000.0
    assert load_checkpoint(tmp_path / "m.last.safetensors").meta["resume"]["seconds"] == first_seconds

    clock.now += 500.0  # the pause between the runs is not training time
    second = Trainer(_cfg(), names, out, resume=tmp_path / "m.last.safetensors")
    events = _events(second)
    resume_start = clock.now
    log = _timed(second, clock, lambda k: 0.2 + 0.173 * k)
    result = second.run()
    expected = _expected_step_figures(log, resume_start, 8, 20, 17)
    got = [{k: e[k] for k in expected[0]} for e in events if e["event"] == "step"]
    assert got == expected and got[0]["step"] == 9
    assert result["seconds"] == round(clock.now - (resume_start - first_seconds), 1)


def test_info_lines_the_device_note_then_notes_then_the_summary(tmp_path, names, names_file, tmp_path_factory):
    def info_of(trainer):
        events = _events(trainer)
        trainer.run()
        return [e["message"] for e in events if e["event"] == "info"]

    plain = Trainer(_cfg(max_steps=2), names, tmp_path / "m.safetensors")
    model_params = sum(p.numel() for p in plain.model.parameters())
    assert info_of(plain) == [f"GRU 1x16, {model_params:,} parameters, on cpu, 2 steps"]

    changed_file = tmp_path_factory.mktemp("changed") / "names.txt"
    changed_file.write_text("\n".join(names.train_items[:-5] + names.val_items) + "\n", encoding="utf-8")
    changed = load_corpus(changed_file, "names")
    _, note = resolve_device("tpu")
    assert note.startswith("unknown device 'tpu'; using CPU")
    resumed = Trainer(_cfg(max_steps=4, device="tpu"), changed, tmp_path / "m.safetensors",
                      resume=tmp_path / "m.last.safetensors", allow_corpus_change=True)
    assert info_of(resumed) == [note, "the corpus changed since this run started; resuming on the new one",
                                f"GRU 1x16, {model_params:,} parameters, on cpu, 4 steps"]


def test_resuming_a_finished_run_trains_and_evaluates_nothing_more(tmp_path, names):
    out = tmp_path / "m.safetensors"
    Trainer(_cfg(max_steps=12, eval_every=4), names, out).run()
    before = load_checkpoint(tmp_path / "m.last.safetensors", with_optimizer=True)
    assert [h["step"] for h in before.meta["history"]] == [4, 8, 12]
    again = Trainer(_cfg(max_steps=12, eval_every=4), names, out, resume=tmp_path / "m.last.safetensors")
    events = _events(again)
    result = again.run()
    kinds = [e["event"] for e in events]
    assert "step" not in kinds and "eval" not in kinds and "stopped" not in kinds
    assert result["steps"] == 12 and again.history == before.meta["history"]
    for k, v in again.model.state_dict().items():
        assert v.equal(before.model.state_dict()[k]), k

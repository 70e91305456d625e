"""Resume restores what the resume file holds, field by field, and refuses what it must.

The reference for every restored figure is the resume file's own metadata, read back with
the checkpoint reader (not the trainer), and the state of the run that wrote it. The
refusals are checked word for word: the message is the only thing a user sees of them.
Small corpora and nets: each test takes about a second."""

import dataclasses
import math

import pytest
import torch

from studio.core.checkpoint import load_checkpoint, read_metadata, save_checkpoint
from studio.core.data import load_corpus
from studio.core.training.trainer import Trainer, TrainConfig


def _cfg(**kw):
    base = dict(kind="names", cell="gru", layers=1, hidden=16, embedding=8, batch_size=16, epochs=3,
                lr=0.01, warmup=0, schedule="constant", eval_every=4, sample_every=0, seed=2,
                device="cpu", dropout=0.0, patience=0)
    base.update(kw)
    return TrainConfig(**base)


def _stop_at(trainer, step):
    trainer.on("step", lambda e: trainer.request_stop() if e["step"] == step else None)


@pytest.fixture
def names(names_file):
    return load_corpus(names_file, "names")


def _rewrite_resume(src, dst, edit):
    """The resume file `src` saved again as `dst` with its metadata changed by `edit`."""
    ck = load_checkpoint(src, with_optimizer=True)
    meta = dict(ck.meta)
    edit(meta)
    save_checkpoint(dst, ck.model, ck.vocab, meta, optimizer_state=ck.optimizer_state, extras=ck.extras)
    return dst


def test_resume_restores_every_counter_the_file_holds(tmp_path, names):
    # lr = 0: every validation after the first equals it, so the count of evaluations without
    # improvement grows (4 by step 22: evaluations at 4, 8, 12, 16, 20); 270 training names
    # in batches of 16 are 17 steps an epoch, so step 22 is batch 5 of epoch 1
    first = Trainer(_cfg(lr=0.0), names, tmp_path / "m.safetensors")
    _stop_at(first, 22)
    first.run()
    saved = read_metadata(tmp_path / "m.last.safetensors")
    r = saved["resume"]
    assert (r["step"], r["epoch"], r["batch_in_epoch"], r["bad_evals"]) == (22, 1, 5, 4)
    assert r["tokens_seen"] > 0 and r["seconds"] > 0 and math.isfinite(r["best_val"])

    second = Trainer(_cfg(lr=0.0), names, tmp_path / "m.safetensors", resume=tmp_path / "m.last.safetensors")
    assert (second.step, second.epoch, second.batch_in_epoch) == (22, 1, 5)
    assert second.best_val == r["best_val"] == first.best_val
    assert second.bad_evals == 4
    assert second.tokens_seen == r["tokens_seen"] == first.tokens_seen
    assert second.seconds == r["seconds"] == first.seconds
    assert second.history == saved["history"] == first.history and len(second.history) == 5
    # and it goes on from there: the next step is 23, the next evaluation at 24 counts as the
    # fifth without improvement
    events = []
    second.on("step", events.append)
    second.on("eval", events.append)
    _stop_at(second, 25)
    second.run()
    assert [e["step"] for e in events if e["event"] == "step"] == [23, 24, 25]
    assert [e["step"] for e in events if e["event"] == "eval"] == [24] and second.bad_evals == 5


def test_a_resume_file_from_before_any_validation_starts_with_no_best(tmp_path, names):
    first = Trainer(_cfg(eval_every=100), names, tmp_path / "m.safetensors")
    _stop_at(first, 1)  # a requested stop skips validation: nothing measured yet
    first.run()
    assert read_metadata(tmp_path / "m.last.safetensors")["resume"]["best_val"] is None
    second = Trainer(_cfg(eval_every=100, max_steps=3), names, tmp_path / "m.safetensors",
                     resume=tmp_path / "m.last.safetensors")
    assert second.best_val == math.inf and second.history == []
    best = []
    second.on("checkpoint", best.append)
    second.run()
    assert [e["step"] for e in best] == [3]  # the first validation is an improvement


def test_resume_refusals_say_what_is_wrong(tmp_path, names, tmp_path_factory):
    Trainer(_cfg(max_steps=2), names, tmp_path / "m.safetensors").run()
    last = tmp_path / "m.last.safetensors"
    tail = ("resuming on it would score the run's best model on other data; "
            "add --allow-corpus-change to resume anyway")

    def refusal(corpus, resume):
        with pytest.raises(ValueError) as info:
            Trainer(_cfg(max_steps=4), corpus, tmp_path / "again.safetensors", resume=resume)
        return str(info.value)

    # the same file name with other contents
    same_name = tmp_path_factory.mktemp("changed") / "names.txt"
    same_name.write_text("\n".join(names.train_items[:-5] + names.val_items) + "\n", encoding="utf-8")
    assert refusal(load_corpus(same_name, "names"), last) == (
        f"m.last.safetensors was trained on a different corpus (names.txt has changed since): {tail}")
    # another file
    other = tmp_path_factory.mktemp("other") / "other.txt"
    other.write_text("\n".join(names.train_items[:-5] + names.val_items) + "\n", encoding="utf-8")
    assert refusal(load_corpus(other, "names"), last) == (
        f"m.last.safetensors was trained on a different corpus (names.txt, not other.txt as given now): {tail}")
    # a resume file that does not say what it was trained on
    nameless = _rewrite_resume(last, tmp_path / "nameless.last.safetensors", lambda m: m.pop("corpus"))
    assert refusal(names, nameless) == (
        f"nameless.last.safetensors was trained on a different corpus (?, not names.txt as given now): {tail}")
    # no training state, or a broken one
    empty = _rewrite_resume(last, tmp_path / "empty.safetensors", lambda m: m.update(resume={}))
    assert refusal(names, empty) == "empty.safetensors is not a resume checkpoint (no training state)"
    broken = _rewrite_resume(last, tmp_path / "broken.safetensors",
                             lambda m: m["resume"].update(step="twelve"))
    assert refusal(names, broken).startswith("broken.safetensors: its training state is malformed (ValueError(")


def test_a_resume_file_without_history_resumes_with_an_empty_one(tmp_path, names):
    Trainer(_cfg(max_steps=2), names, tmp_path / "m.safetensors").run()
    bare = _rewrite_resume(tmp_path / "m.last.safetensors", tmp_path / "bare.last.safetensors",
                           lambda m: m.pop("history"))
    trainer = Trainer(_cfg(max_steps=4), names, tmp_path / "bare.safetensors", resume=bare)
    assert trainer.step == 2 and trainer.history == []


def _stream_cfg(cell, **kw):
    base = dict(kind="text", cell=cell, layers=1, hidden=16, embedding=8, batch_size=4, window=16,
                max_steps=20, epochs=3, lr=5e-3, warmup=0, eval_every=100, seed=3, dropout=0.2,
                device="cpu", sample_every=0)
    base.update(kw)
    return TrainConfig(**base)


@pytest.mark.parametrize("cell", ["lstm", "gru"])  # carried state: (h, c), or h alone
def test_resume_restores_the_carried_state_and_the_rng(tmp_path, text_file, cell):
    corpus = load_corpus(text_file, "text")
    first = Trainer(_stream_cfg(cell), corpus, tmp_path / "m.safetensors")
    _stop_at(first, 5)  # mid-epoch: the next window continues from the carried state
    first.run()
    rng_at_save = torch.get_rng_state()
    carried = first.carry_state if cell == "lstm" else (first.carry_state,)
    assert all(isinstance(t, torch.Tensor) for t in carried)

    torch.manual_seed(12345)  # whatever the RNG did since, the resumed run starts from the file's
    second = Trainer(_stream_cfg(cell), corpus, tmp_path / "m.safetensors", resume=tmp_path / "m.last.safetensors")
    assert torch.equal(torch.get_rng_state(), rng_at_save)
    assert torch.equal(torch.get_rng_state(), load_checkpoint(tmp_path / "m.last.safetensors").extras["torch_rng"])
    # the first step after the resume (step 6, mid-epoch) continues from the carried state
    fed = []
    net = second.net
    second.net = lambda x, state=None: (fed.append(state), net(x, state))[1]
    _stop_at(second, 6)
    second.run()
    if cell == "lstm":
        assert isinstance(fed[0], tuple) and len(fed[0]) == 2
        restored = fed[0]
    else:
        assert isinstance(fed[0], torch.Tensor)
        restored = (fed[0],)
    for a, b in zip(restored, carried):
        assert torch.equal(a, b)


def test_an_empty_training_split_is_one_clear_error_not_an_endless_loop(tmp_path, names):
    empty = dataclasses.replace(names, train_items=[])
    trainer = Trainer(_cfg(), empty, tmp_path / "m.safetensors")
    with pytest.raises(ValueError) as info:
        trainer.run()
    assert str(info.value) == ("the training split gives no batches (is the corpus smaller than one "
                               "--batch x --window, or --val-fraction too large?)")


def test_a_new_run_clears_what_a_killed_run_left_mid_write(tmp_path, names):
    # save_checkpoint writes .NAME.*.tmp and renames it; a run killed in between leaves the
    # temp. The next run on that output clears its own two (model and resume file) and
    # nothing else
    litter = [tmp_path / ".m.safetensors.x1.tmp", tmp_path / ".m.last.safetensors.x2.tmp"]
    kept = [tmp_path / ".other.safetensors.x3.tmp", tmp_path / "m.safetensors.notes"]
    for p in litter + kept:
        p.write_bytes(b"partial")
    Trainer(_cfg(), names, tmp_path / "m.safetensors")
    assert [p.exists() for p in litter] == [False, False]
    assert [p.exists() for p in kept] == [True, True]


def test_a_temp_another_run_cleared_first_is_no_error(tmp_path, names, monkeypatch):
    # two runs started on one output at once both clear its temps: one of them finds a temp
    # listed that the other has removed by the time it gets to it; that is not an error
    import pathlib

    real_glob = pathlib.Path.glob

    def glob(self, pattern, *args, **kw):
        found = list(real_glob(self, pattern, *args, **kw))
        return found + [self / ".m.safetensors.gone.tmp"] if pattern.startswith(".m.") else found

    monkeypatch.setattr(pathlib.Path, "glob", glob)
    trainer = Trainer(_cfg(max_steps=1), names, tmp_path / "m.safetensors")
    assert trainer.step == 0 and not (tmp_path / ".m.safetensors.gone.tmp").exists()


def test_the_checkpoint_takes_the_encoding_from_the_report_when_the_corpus_has_none(tmp_path, names):
    corpus = dataclasses.replace(names, encoding="", report={**names.report, "encoding": "word-v9"})
    Trainer(_cfg(max_steps=1), corpus, tmp_path / "m.safetensors").run()
    assert read_metadata(tmp_path / "m.safetensors")["encoding"] == "word-v9"


def test_a_resume_with_another_batch_says_its_carried_state_starts_from_zeros(tmp_path, text_file):
    corpus = load_corpus(text_file, "text")
    first = Trainer(_stream_cfg("gru"), corpus, tmp_path / "m.safetensors")
    _stop_at(first, 5)
    first.run()
    second = Trainer(_stream_cfg("gru", batch_size=8), corpus, tmp_path / "m.safetensors",
                     resume=tmp_path / "m.last.safetensors")
    info, fed = [], []
    second.on("info", info.append)
    net = second.net
    second.net = lambda x, state=None: (fed.append(state), net(x, state))[1]
    _stop_at(second, 6)
    second.run()
    assert ("the resume file carries state for 4 lanes and this run has 8 (another --batch): "
            "they start from zeros") in [e["message"] for e in info]
    assert fed[0] is None  # the first step starts from zeros, not from 4 lanes of another run


@pytest.mark.parametrize("kind", ["text", "names"])  # the two branches of validation_loss
def test_a_stop_abandons_the_validation_pass_it_falls_on(tmp_path, text_file, names_file, kind):
    # the stop is requested at step 8, where a validation pass is due: it is not run
    cfg = _stream_cfg("lstm", eval_every=8) if kind == "text" else _cfg(eval_every=8)
    corpus = load_corpus(text_file if kind == "text" else names_file, kind)
    trainer = Trainer(cfg, corpus, tmp_path / "m.safetensors")
    evals = []
    trainer.on("eval", evals.append)
    _stop_at(trainer, 8)
    result = trainer.run()
    assert result["steps"] == 8 and evals == [] and trainer.history == []


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_a_resumed_run_stopped_before_a_step_passes_its_carried_state_on(tmp_path, text_file, cell):
    """Stopped at once after a resume (Ctrl-C while it starts): the resume file it writes on
    the way out still carries every part of the state it was given, unchanged."""
    corpus = load_corpus(text_file, "text")
    first = Trainer(_stream_cfg(cell), corpus, tmp_path / "m.safetensors")
    _stop_at(first, 5)
    first.run()
    given = load_checkpoint(tmp_path / "m.last.safetensors").extras
    second = Trainer(_stream_cfg(cell), corpus, tmp_path / "m.safetensors", resume=tmp_path / "m.last.safetensors")
    second.request_stop()
    second.run()
    assert second.step == 5
    kept = load_checkpoint(tmp_path / "m.last.safetensors").extras
    keys = ["carry_0", "carry_1"] if cell == "lstm" else ["carry_0"]
    assert sorted(k for k in kept if k.startswith("carry")) == keys
    for key in keys:
        assert torch.equal(kept[key], given[key])


def test_the_fp16_loss_scale_is_saved_and_restored(tmp_path, names, monkeypatch):
    """fp16 runs carry their GradScaler's scale across a resume (a fresh scaler would start
    at 65536 and skip steps until it found the run's scale again). fp16 is a CUDA precision;
    the scale's bookkeeping is the same on the CPU, where torch's GradScaler runs too."""
    import studio.core.training.trainer as trainer_module
    from studio.core.training.precision import Precision

    monkeypatch.setattr(trainer_module, "choose_precision", lambda requested, device: Precision("fp16", "cpu"))
    first = Trainer(_cfg(), names, tmp_path / "m.safetensors")
    _stop_at(first, 3)
    first.run()
    saved = read_metadata(tmp_path / "m.last.safetensors")["resume"]["grad_scale"]
    assert saved == first.scaler.get_scale() == 65536.0  # torch's initial scale, no overflow yet
    # a scale the run had lowered after overflows: the resumed scaler starts from it
    _rewrite_resume(tmp_path / "m.last.safetensors", tmp_path / "lowered.last.safetensors",
                    lambda meta: meta["resume"].update(grad_scale=1024.0))
    second = Trainer(_cfg(), names, tmp_path / "m.safetensors", resume=tmp_path / "lowered.last.safetensors")
    assert second.scaler.get_scale() == 1024.0


def test_a_resume_file_written_on_a_gpu_resumes_on_the_cpu_leaving_cuda_alone(tmp_path, names, monkeypatch):
    """A GPU run's resume file also holds the CUDA generator's state (``cuda_rng``). Resumed
    on the CPU, the CPU generator takes the file's state and the CUDA one is not touched (in
    a process that also samples on a GPU, the GUI's, it would change those takes)."""
    Trainer(_cfg(max_steps=2), names, tmp_path / "m.safetensors").run()
    ck = load_checkpoint(tmp_path / "m.last.safetensors", with_optimizer=True)
    gpu_made = tmp_path / "gpu.last.safetensors"
    save_checkpoint(gpu_made, ck.model, ck.vocab, dict(ck.meta), optimizer_state=ck.optimizer_state,
                    extras={**ck.extras, "cuda_rng": torch.arange(16, dtype=torch.uint8)})
    cuda_calls = []
    monkeypatch.setattr(torch.cuda, "set_rng_state", lambda *a, **k: cuda_calls.append(a))
    torch.manual_seed(999)
    trainer = Trainer(_cfg(max_steps=4), names, tmp_path / "gpu.safetensors", resume=gpu_made)
    assert trainer.step == 2 and cuda_calls == []
    assert torch.equal(torch.get_rng_state(), ck.extras["torch_rng"])

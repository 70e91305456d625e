"""Mixed precision (bf16 autocast on the CPU here; the CUDA choices with torch.cuda's
queries patched) and a CUDA out-of-memory error in a step (injected), which must end in
one message with the batch that failed and leave the resume file as it was."""

import json

import pytest
import torch
from safetensors import safe_open

from studio.cli.main import main
from studio.core.training import precision
from studio.core.checkpoint import load_checkpoint
from studio.core.data import load_corpus
from studio.core.training.trainer import OutOfMemory, TrainConfig, Trainer


def _cfg(**kw):
    base = dict(kind="text", cell="lstm", layers=1, hidden=24, embedding=8, dropout=0.0, batch_size=4,
                window=16, max_steps=6, eval_every=3, warmup=0, schedule="constant", lr=0.01,
                sample_every=0, seed=4, device="cpu")
    return TrainConfig(**{**base, **kw})


def _run(tmp_path, corpus, name, **kw):
    trainer = Trainer(_cfg(**kw), corpus, tmp_path / f"{name}.safetensors")
    steps = []
    trainer.on("step", steps.append)
    trainer.run()
    return trainer, [e["loss"] for e in steps]


def test_bf16_on_the_cpu_trains_in_bf16_and_saves_float32(tmp_path, text_file):
    corpus = load_corpus(text_file, "text")
    seen = []
    full, fp32_losses = _run(tmp_path, corpus, "fp32", precision="fp32")
    half, bf16_losses = _run(tmp_path, corpus, "bf16", precision="bf16")
    assert full.precision.name == "fp32" and half.precision.name == "bf16"
    # the LSTM really ran in bf16: the losses move (by bf16's ~3 digits), but stay close
    assert bf16_losses != fp32_losses
    assert bf16_losses == pytest.approx(fp32_losses, abs=0.05)
    handle = half.model.rnn.register_forward_hook(lambda m, i, o: seen.append(o[0].dtype))
    with half.precision.autocast():
        half.model(torch.zeros(1, 3, dtype=torch.long))
    handle.remove()
    assert seen == [torch.bfloat16]
    for name in ("bf16.safetensors", "bf16.last.safetensors"):
        with safe_open(tmp_path / name, "pt") as f:
            dtypes = {f.get_tensor(k).dtype for k in f.keys() if k.startswith("model.")}
        assert dtypes == {torch.float32}, name
    ck = load_checkpoint(tmp_path / "bf16.safetensors")
    assert ck.meta["metrics"]["precision"] == "bf16" and ck.meta["train_config"]["precision"] == "bf16"
    # auto on the CPU is fp32: the default run is the one it always was
    assert precision.choose("auto", torch.device("cpu")).name == "fp32"


def test_precision_choices_per_device(monkeypatch):
    cuda = torch.device("cuda", 0)
    monkeypatch.setattr(precision, "_cuda_bf16", lambda device: True)
    assert precision.choose("auto", cuda).name == "bf16"
    assert precision.choose("fp32", cuda).name == "fp32"
    assert precision.choose("fp16", cuda).name == "fp16"  # its scaler: CUDA only, not built here
    monkeypatch.setattr(precision, "_cuda_bf16", lambda device: False)  # e.g. a T4 or V100
    auto = precision.choose("auto", cuda)
    assert auto.name == "fp16" and auto.dtype == torch.float16
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda d=None: "Tesla V100")
    with pytest.raises(ValueError, match="Tesla V100 has no bfloat16 support; use --precision fp16"):
        precision.choose("bf16", cuda)
    with pytest.raises(ValueError, match="fp16 needs a CUDA GPU"):
        precision.choose("fp16", torch.device("cpu"))
    assert precision.choose("bf16", torch.device("cpu")).scaler() is None


def test_a_bad_precision_flag_is_one_message(tmp_path, text_file, capsys, restore_signals):
    code = main(["train", "--corpus", str(text_file), "--kind", "text", "--precision", "fp8",
                 "--out", str(tmp_path / "m.safetensors")])
    err = capsys.readouterr().err
    assert code == 2 and "--precision must be one of auto, fp32, bf16, fp16, not 'fp8'" in err
    assert "Traceback" not in err


def _out_of_memory_at(step_no, monkeypatch):
    real = Trainer._train_step

    def step(self, batch):
        if self.step + 1 == step_no:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real(self, batch)

    monkeypatch.setattr(Trainer, "_train_step", step)


def test_out_of_memory_names_the_batch_and_keeps_the_resume_file(tmp_path, text_file, monkeypatch):
    corpus = load_corpus(text_file, "text")
    _out_of_memory_at(5, monkeypatch)  # after the evaluation at step 3 wrote the resume file
    trainer = Trainer(_cfg(batch_size=8, max_steps=20), corpus, tmp_path / "m.safetensors")
    with pytest.raises(OutOfMemory) as err:
        trainer.run()
    message = str(err.value)
    resume = tmp_path / "m.last.safetensors"
    assert message.startswith("out of GPU memory on cpu at step 5 with --batch 8 x --window 16, fp32; "
                              "try --batch 4, a shorter --window or a smaller model; ")
    assert message.endswith(f"the resume file {resume} (step 3) is intact: continue with "
                            f"--resume {resume} --batch 4")
    before = load_checkpoint(resume, with_optimizer=True)
    assert before.meta["resume"]["step"] == 3 and before.optimizer_state is not None


def test_out_of_memory_right_after_a_resume_names_the_file_it_resumed_from(tmp_path, text_file, monkeypatch):
    """Out of memory at the first step after a resume, before this run has saved anything:
    the resume file it started from is still the way back, at the step it holds."""
    corpus = load_corpus(text_file, "text")
    first = Trainer(_cfg(batch_size=8, max_steps=20), corpus, tmp_path / "m.safetensors")
    first.on("step", lambda e: first.request_stop() if e["step"] == 3 else None)
    first.run()
    resume = tmp_path / "m.last.safetensors"
    assert load_checkpoint(resume).meta["resume"]["step"] == 3
    _out_of_memory_at(4, monkeypatch)
    second = Trainer(_cfg(batch_size=8, max_steps=20), corpus, tmp_path / "m.safetensors", resume=resume)
    with pytest.raises(OutOfMemory) as err:
        second.run()
    assert str(err.value).endswith(f"the resume file {resume} (step 3) is intact: continue with "
                                   f"--resume {resume} --batch 4")


def test_out_of_memory_on_names_says_no_window(tmp_path, names_file, monkeypatch):
    """Names batches have no --window: the message and its tips leave it out."""
    _out_of_memory_at(2, monkeypatch)
    trainer = Trainer(_cfg(kind="names", batch_size=10), load_corpus(names_file, "names"),
                      tmp_path / "m.safetensors")
    with pytest.raises(OutOfMemory) as err:
        trainer.run()
    assert str(err.value) == ("out of GPU memory on cpu at step 2 with --batch 10, fp32; try --batch 5 "
                              "or a smaller model; nothing was saved yet (no evaluation had run)")


def test_out_of_memory_from_the_cli_is_one_line(tmp_path, text_file, monkeypatch, capsys, restore_signals):
    _out_of_memory_at(2, monkeypatch)  # before any evaluation: nothing saved yet
    code = main(["train", "--corpus", str(text_file), "--kind", "text", "--hidden", "16",
                 "--batch", "6", "--window", "16", "--max-steps", "20", "--eval-every", "10",
                 "--device", "cpu", "--out", str(tmp_path / "m.safetensors"), "--jsonl"])
    captured = capsys.readouterr()
    assert code == 2 and "Traceback" not in captured.err
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert lines == ["sequence-studio train: out of GPU memory on cpu at step 2 with --batch 6 x "
                     "--window 16, fp32; try --batch 3, a shorter --window or a smaller model; "
                     "nothing was saved yet (no evaluation had run)"]
    error = [json.loads(x) for x in captured.out.splitlines() if '"error"' in x]
    assert error and "--batch 6" in error[0]["message"]  # the window shows it too
    assert not (tmp_path / "m.last.safetensors").exists()

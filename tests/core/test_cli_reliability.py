"""Issue 9 items 2, 5, 6 and 7 through the CLI: bad numbers refused at the boundary with one
line, no traceback; models never overwritten without --force; a resume refuses another
corpus; SIGINT exits 130 and says "stopped"."""

import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from studio.cli import main
from studio.core.checkpoint import load_checkpoint, save_checkpoint
from studio.core.net import NetConfig, SequenceNet
from studio.core.vocab import Vocab


def _tiny(path, domain="names", tokens="abcdefghijklmnopqrstuvwxyz", kind="char", encoding="char-v1"):
    torch.manual_seed(0)
    vocab = Vocab.from_text(tokens) if kind == "char" else Vocab.from_tokens(tokens, kind="event")
    net = SequenceNet(NetConfig(cell="gru", vocab_size=len(vocab), layers=1, hidden=16, embedding=8))
    save_checkpoint(path, net, vocab, {"domain": domain, "name": path.stem, "encoding": encoding})
    return path


def _one_clear_line(capsys, *words):
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    for w in words:
        assert w in err, err
    return err


def _train(corpus, out, *flags, kind="names"):
    return main(["train", "--corpus", str(corpus), "--kind", kind, "--out", str(out),
                 "--hidden", "16", "--layers", "1", "--max-steps", "4", "--eval-every", "2", *flags])


@pytest.mark.timeout(60)
@pytest.mark.parametrize("flags,words", [
    (["--val-fraction", "1.0"], ["val-fraction"]),
    (["--val-fraction", "0"], ["val-fraction"]),
    (["--batch", "0"], ["--batch", "at least 1"]),
    (["--lr", "nan"], ["--lr"]),
    (["--lr", "inf"], ["--lr"]),
    (["--epochs", "0"], ["--epochs"]),
    (["--hidden", "-3"], ["--hidden"]),
    (["--dropout", "1.5"], ["--dropout"]),
    (["--window", "0"], ["--window"]),
    (["--eval-every", "0"], ["--eval-every"]),
    (["--seed", str(2 ** 64)], ["--seed"]),
    (["--cell", "transformer"], ["--cell"]),
    (["--clip", "-1"], ["--clip"]),
])
def test_train_refuses_bad_numbers_before_doing_anything(tmp_path, names_file, capsys, restore_signals,
                                                         flags, words):
    out = tmp_path / "m.safetensors"
    assert _train(names_file, out, *flags) == 2
    _one_clear_line(capsys, *words)
    assert not out.exists()


@pytest.mark.timeout(60)
def test_a_recipe_is_checked_like_the_flags(tmp_path, names_file, capsys, restore_signals):
    recipe = tmp_path / "r.toml"
    recipe.write_text('[corpus]\nkind = "names"\n[train]\nbatch_size = 0\n', encoding="utf-8")
    assert main(["train", "--recipe", str(recipe), "--corpus", str(names_file),
                 "--out", str(tmp_path / "m.safetensors")]) == 2
    _one_clear_line(capsys, "at least 1")


@pytest.mark.timeout(120)
def test_models_are_never_overwritten_without_force(tmp_path, names_file, capsys, restore_signals):
    from studio.paths import user_models_dir

    assert main(["train", "--corpus", str(names_file), "--kind", "names", "--name", "dino",
                 "--hidden", "16", "--layers", "1", "--max-steps", "2", "--eval-every", "2"]) == 0
    first = user_models_dir() / "dino.safetensors"
    digest = first.read_bytes()
    capsys.readouterr()
    assert main(["train", "--corpus", str(names_file), "--kind", "names", "--name", "dino",
                 "--hidden", "16", "--layers", "1", "--max-steps", "2", "--eval-every", "2"]) == 0
    out = capsys.readouterr().out
    second = user_models_dir() / "dino-2.safetensors"
    assert first.read_bytes() == digest and second.exists()
    assert "dino-2.safetensors" in out  # says what was written

    explicit = tmp_path / "mine.safetensors"
    explicit.write_bytes(b"precious")
    assert _train(names_file, explicit) == 2
    _one_clear_line(capsys, "--force")
    assert explicit.read_bytes() == b"precious"
    assert _train(names_file, explicit, "--force") == 0
    assert load_checkpoint(explicit).domain == "names"



@pytest.mark.timeout(60)
def test_an_unusable_out_is_found_out_before_the_corpus_is_read(tmp_path, names_file, capsys,
                                                                 monkeypatch, restore_signals):
    import studio.core.data

    def read(*a, **k):
        raise AssertionError("the corpus was read (and a run trained) before --out was checked")

    monkeypatch.setattr(studio.core.data, "load_corpus", read)
    folder = tmp_path / "runs"
    folder.mkdir()
    assert _train(names_file, folder) == 2
    _one_clear_line(capsys, "folder", str(folder / "model.safetensors"))
    taken = tmp_path / "taken.safetensors"
    taken.write_bytes(b"precious")
    assert _train(names_file, taken) == 2
    _one_clear_line(capsys, "--force")
    assert taken.read_bytes() == b"precious"


@pytest.mark.timeout(180)
def test_resume_on_another_corpus_is_refused_unless_asked(tmp_path, names_file, capsys, restore_signals):
    out = tmp_path / "run.safetensors"
    assert _train(names_file, out) == 0
    best = out.read_bytes()
    resume = tmp_path / "run.last.safetensors"
    capsys.readouterr()
    other = tmp_path / "other.txt"  # names too, but not the run's: its best model must survive
    other.write_text("\n".join(names_file.read_text().split()[:200]), encoding="utf-8")
    assert main(["train", "--resume", str(resume), "--corpus", str(other), "--max-steps", "6"]) == 2
    _one_clear_line(capsys, "different corpus", "--allow-corpus-change")
    assert out.read_bytes() == best
    assert main(["train", "--resume", str(resume), "--corpus", str(other), "--max-steps", "6",
                 "--allow-corpus-change"]) == 0


@pytest.mark.timeout(60)
@pytest.mark.parametrize("flags,words", [
    (["-t", "nan"], ["temperature"]),
    (["-t", "inf"], ["temperature"]),
    (["-t", "-1"], ["temperature"]),
    (["--top-p", "nan"], ["top-p"]),
    (["--top-k", "-2"], ["top-k"]),
    (["--length", "0"], ["--length"]),
    (["-n", "0"], ["count"]),
    (["--seed", str(2 ** 64)], ["--seed"]),
    (["--seed", "-1"], ["--seed"]),
])
def test_sample_refuses_bad_numbers(tmp_path, capsys, flags, words):
    model = _tiny(tmp_path / "n.safetensors")
    assert main(["sample", str(model), *flags]) == 2
    _one_clear_line(capsys, *words)


@pytest.mark.timeout(240)
def test_sigint_stops_the_trainer_with_130_and_says_stopped(tmp_path, text_file):
    out = tmp_path / "s.safetensors"
    cmd = [sys.executable, "-m", "studio", "train", "--corpus", str(text_file), "--kind", "text",
           "--hidden", "32", "--layers", "1", "--max-steps", "100000", "--epochs", "10000",
           "--eval-every", "50", "--out", str(out)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("step 50:"):  # the first evaluation: training is under way
                sent = time.monotonic()
                proc.send_signal(signal.SIGINT)
                break
        rest, _ = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, rest
    text = "".join(lines) + rest
    assert "stopped" in rest and "done" not in rest.lower().split("stopped")[-1]
    assert time.monotonic() - sent < 30
    assert load_checkpoint(tmp_path / "s.last.safetensors").meta["resume"]["step"] >= 50, text


def test_a_run_name_starting_with_a_dash_reaches_the_trainer_intact():
    import argparse

    from studio.cli.train import add_parser

    pytest.importorskip("PySide6", reason="the window's TrainOptions needs PySide6")
    from studio.gui.train.process import TrainOptions

    options = TrainOptions(corpus="c.txt", kind="names", name="-fast")
    sub = argparse.ArgumentParser().add_subparsers()
    add_parser(sub)
    parsed = sub.choices["train"].parse_args(options.to_args())
    assert parsed.name == "-fast" and parsed.corpus == "c.txt"


def test_a_reader_that_goes_away_ends_sample_quietly(tmp_path):
    """``sample ... | head -1`` (issue 25, defect 15): the reader closes the pipe after one
    line; the command exits with the SIGPIPE status a Unix tool gives, and no traceback."""
    model = _tiny(tmp_path / "tiny.safetensors")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.Popen([sys.executable, "-m", "studio", "sample", str(model), "-n", "10000",
                             "--seed", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env)
    first = proc.stdout.readline()
    proc.stdout.close()  # more than a pipe's 64 KB buffer is still to come
    _, err = proc.communicate(timeout=300)
    assert first.endswith(b"\n")  # one whole line arrived (a random tiny model may name nothing)
    assert b"Traceback" not in err and b"BrokenPipe" not in err, err.decode()
    assert proc.returncode == 141

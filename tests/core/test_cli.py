"""The CLI end to end on a model trained inside the test (no ../shared needed)."""

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from studio.cli import main
from studio.core.checkpoint import load_checkpoint
from studio.core.data import load_corpus


@pytest.fixture
def trained(tmp_path, names_file, restore_signals):
    out = tmp_path / "m.safetensors"
    rc = main(["train", "--corpus", str(names_file), "--kind", "names", "--cell", "gru",
               "--out", str(out), "--epochs", "8", "--hidden", "48", "--layers", "1", "--lr", "0.01"])
    assert rc == 0 and out.exists()
    return out


def test_sample_score_models_eval(trained, names_file, capsys):
    capsys.readouterr()
    assert main(["sample", str(trained), "-n", "20", "-t", "0.8", "--seed", "1"]) == 0
    first = capsys.readouterr().out.splitlines()
    train_names = set(load_corpus(names_file, "names").train_items)  # what the model saw
    assert len(first) == 20
    given = set()
    for line in first:
        name, tag = line.rsplit("  ", 1)
        expected = "(repeat)" if name in given else "(in corpus)" if name in train_names else "(new)"
        assert tag == expected, line
        given.add(name)
    main(["sample", str(trained), "-n", "20", "-t", "0.8", "--seed", "1"])
    assert capsys.readouterr().out.splitlines() == first  # same seed, same take

    assert main(["score", str(trained), "tyrannosaurus", "brontosaurus", "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert {s["text"] for s in scores} == {"tyrannosaurus", "brontosaurus"}
    ck = load_checkpoint(trained)
    for s in scores:  # log P = sum of log-softmax over one forward of <end> name <end>
        ids = [0] + ck.vocab.encode(s["text"]) + [0]
        with torch.no_grad():
            logp = torch.log_softmax(ck.model(torch.tensor([ids[:-1]]))[0][0].double(), -1)
        assert s["logprob"] == pytest.approx(float(logp[range(len(ids) - 1), ids[1:]].sum()), abs=1e-4)
        assert len(s["steps"]) == len(s["text"]) + 1

    assert main(["models", "--import", str(trained)]) == 0
    capsys.readouterr()
    assert main(["models", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert any(r["domain"] == "names" and not r["shipped"] for r in rows)

    assert main(["eval", str(trained), "--corpus", str(names_file), "--samples", "50"]) == 0
    ev = json.loads(capsys.readouterr().out)
    assert 0 < ev["val_nll"] < 3 and 0 <= ev["novel_share_T1.0"] <= 1


def test_text_prime_streams(tmp_path, text_file, capsys, restore_signals):
    out = tmp_path / "s.safetensors"
    assert main(["train", "--corpus", str(text_file), "--kind", "text", "--max-steps", "30",
                 "--hidden", "32", "--layers", "1", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["sample", str(out), "--prime", "ROMEO:", "--length", "80", "--seed", "3"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("ROMEO:") and len(text) > 40


def test_bad_inputs_give_one_clear_line(tmp_path, capsys):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x80\x04garbage")
    assert main(["sample", str(bad)]) == 2
    assert "pickle" in capsys.readouterr().err
    empty = tmp_path / "e.txt"
    empty.write_text("")
    assert main(["train", "--corpus", str(empty), "--kind", "names", "--out", str(tmp_path / "x.safetensors")]) == 2
    assert "empty" in capsys.readouterr().err


def test_train_jsonl_subprocess_and_sigterm_resume(tmp_path, text_file):
    """What the GUI does: a separate process printing JSON lines; SIGTERM = pause."""
    out = tmp_path / "p.safetensors"
    cmd = [sys.executable, "-m", "studio", "train", "--jsonl", "--corpus", str(text_file), "--kind", "text",
           "--hidden", "32", "--layers", "1", "--max-steps", "100000", "--eval-every", "50", "--out", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    events = []
    for line in proc.stdout:
        events.append(json.loads(line))
        if events[-1]["event"] == "step" and events[-1]["step"] == 5:
            proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 128 + signal.SIGTERM  # stopped, not finished
    kinds = [e["event"] for e in events]
    assert kinds[0] == "report" and "stopped" in kinds and kinds[-1] == "done"
    stopped = next(e for e in events if e["event"] == "stopped")
    # a stop skips the validation pass (Ctrl-C must not wait for one): before the first
    # evaluation there is a resume file and no best model yet
    assert Path(stopped["resume_path"]).exists() and not out.exists()
    resumed = subprocess.run([sys.executable, "-m", "studio", "train", "--jsonl", "--resume",
                              stopped["resume_path"], "--corpus", str(text_file), "--max-steps", "12"],
                             capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    steps = [json.loads(l) for l in resumed.stdout.splitlines() if '"step"' in l and '"event": "step"' in l]
    assert steps[0]["step"] == stopped["step"] + 1 and steps[-1]["step"] == 12
    assert out.exists()

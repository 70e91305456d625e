"""Every command the README shows, run through ``studio.cli.main`` (the no-verb start in a
child process, since it runs the window's event loop).

The commands are read from the README itself, so a README edit that breaks one fails
here. Long runs are cut short with extra flags (``--max-steps``, ``bench --quick``) and
the corpora are replaced by small files made here, so this runs from a fresh clone.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
import os
import re
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import mido
import pytest

from studio.cli import main
from studio.core.checkpoint import load_checkpoint, save_checkpoint

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
# extra flags that keep a README command short (it still goes through the same verb)
SHORTEN = {"train": ["--max-steps", "2", "--eval-every", "1", "--device", "cpu"],
           "bench": ["--quick"], "eval": ["--samples", "20"], "jazz-report": ["--limit", "2", "--json"]}


def readme_commands() -> list[str]:
    table = README[README.index("## What it does"):README.index("## Shipped models")]
    # a table cell escapes its pipes as \| (GitHub shows a plain |); undo that
    return [c.replace("\\|", "|") for c in re.findall(r"`(sequence-studio [^`]*)`", table)]


def test_the_readme_lists_the_commands_tested_here():
    verbs = [shlex.split(c)[1] for c in readme_commands()]
    assert sorted(set(verbs)) == ["--install-desktop", "bench", "eval", "jazz-report", "models",
                                  "sample", "score", "train"]
    assert "`python -m studio` is the same as `sequence-studio`; with no verb it opens the window" in README


@pytest.fixture
def run_readme(tmp_path, names_file, restore_signals, monkeypatch, capsys):
    """Run one README command (as written, files swapped for test files) through main()."""
    monkeypatch.chdir(tmp_path)
    solos = tmp_path / "solos"      # two human solos as MIDI, for the WJazzD folder
    solos.mkdir()
    for i in range(2):
        _solo_midi(solos / f"Player{i}_Tune.mid", i)
    swap = {"names.txt": str(names_file), "../shared/corpora/dinos.txt": str(names_file),
            "PATH": str(names_file), "MODEL": str(ROOT / "models" / "dinos-lstm.safetensors"),
            "FILE": str(ROOT / "models" / "dinos-gru.safetensors"), "../shared/corpora/jazz": str(solos)}

    def run(command: str):
        argv = [swap.get(a, str(ROOT / a) if a.startswith(("models/", "training/")) else a)
                for a in shlex.split(command)[1:]]
        argv += SHORTEN.get(argv[0], [])
        capsys.readouterr()
        rc = main(argv)
        out = capsys.readouterr()
        assert rc == 0, out.err
        return out.out

    return run


def _solo_midi(path, i):
    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(120 + 100 * i)),
                            mido.MetaMessage("marker", text="Dm7")])
    for b in range(64):   # 8 bars of eighths
        track += [mido.Message("note_on", note=60 + (b * 5 + i) % 12, velocity=80, time=0),
                  mido.Message("note_off", note=60 + (b * 5 + i) % 12, velocity=0, time=240)]
    mid.tracks.append(track)
    mid.save(path)


def _command(verb_and_start: str, without: str | None = None) -> str:
    (cmd,) = [c for c in readme_commands() if c.startswith("sequence-studio " + verb_and_start)
              and (without is None or without not in c)]
    return cmd


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a Linux menu entry")
def test_readme_install_desktop(run_readme, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    out = run_readme(_command("--install-desktop"))
    entry = tmp_path / "data" / "applications" / "sequence-studio.desktop"
    assert str(entry) in out and entry.is_file()


def test_readme_sample_names_marks_new_and_known(run_readme):
    out = run_readme(_command("sample models/dinos-lstm")).splitlines()
    assert len(out) == 20
    known = set(load_checkpoint(ROOT / "models" / "dinos-lstm.safetensors").meta["corpus"]["train_items"])
    given = set()
    for line in out:
        name, tag = re.fullmatch(r"(\S+)  \((new|in corpus|repeat)\)", line).groups()
        assert tag == ("repeat" if name in given else "in corpus" if name in known else "new"), line
        given.add(name)


def test_readme_sample_text_and_jazz(run_readme, tmp_path):
    text = run_readme(_command("sample models/shakespeare-lstm"))
    assert text.startswith("ROMEO:") and len(text) == len("ROMEO:") + 500 + 1  # + newline
    run_readme(_command("sample models/jazz-lstm"))
    run_readme(_command("sample models/jazz-gru.safetensors --chart \"Bb blues\" --tempo 220"))  # feel, lead sheet
    assert ET.parse(tmp_path / "sheet.musicxml").getroot().find("part/measure/harmony") is not None
    midi = mido.MidiFile(tmp_path / "solo.mid")
    markers = [m.text for m in midi.tracks[0] if m.type == "marker"]
    assert markers[:3] == ["Dm7", "G7", "Cmaj7"] and (tmp_path / "solo.wav").stat().st_size > 44


def test_readme_continue_from_bar(run_readme, tmp_path):
    from studio.music.continuation import read_take

    # the take to continue, exported as the window and sample write it (swung, humanised)
    model = str(ROOT / "models" / "jazz-gru.safetensors")
    assert main(["sample", model, "--chart", "Bb blues", "--seed", "2", "--out", "take.mid"]) == 0
    out = run_readme(_command("sample models/jazz-gru.safetensors --chart \"Bb blues\" --primer"))
    assert "12 bars, bars 1-4 kept" in out
    take, again = read_take(tmp_path / "take.mid"), read_take(tmp_path / "take2.mid")
    assert [n for n in again.notes if n.start < 4 * 48] == [n for n in take.notes if n.start < 4 * 48]


def test_readme_jazz_on_an_instrument(run_readme, tmp_path):
    """The trumpet take: the trumpet's program and range, and higher than the tenor's."""
    import pretty_midi

    from studio.music.perform.instruments import instrument_named

    run_readme(_command("sample models/jazz-gru.safetensors --chart \"Bb blues\" --instrument"))
    trumpet = instrument_named("trumpet")
    solo = pretty_midi.PrettyMIDI(str(tmp_path / "trumpet.mid")).instruments[0]
    assert solo.program == trumpet.program
    assert all(trumpet.low <= n.pitch <= trumpet.high for n in solo.notes)


def test_readme_train_commands(run_readme, tmp_path):
    import tomllib

    run_readme(_command("train --corpus"))
    ck = load_checkpoint(tmp_path / "m.safetensors")
    assert ck.domain == "names" and ck.model.config.cell == "gru"
    run_readme(_command("train --recipe"))
    recipe = tomllib.loads((ROOT / "training" / "dinos-lstm.toml").read_text())
    out = tmp_path / recipe["output"]["out"]  # the recipe's relative path, from the cwd
    ck = load_checkpoint(out)
    tc = ck.meta["train_config"]
    for table in ("model", "train"):
        for key, value in recipe[table].items():
            if key not in ("device", "eval_every"):  # the flags SHORTEN adds override these
                assert tc[key] == value, key
    assert ck.name == recipe["output"]["name"] and ck.meta["metrics"]["steps"] == 2


def test_readme_score_models_eval(run_readme):
    out = run_readme(_command("score")).splitlines()
    assert out[0].startswith("'tyrannosaurus': log P = ")
    assert len(out) == 1 + len("tyrannosaurus") + 1  # a line per step, the end token included
    listing = run_readme(_command("models"))
    for stem in ("dinos-lstm", "dinos-gru", "shakespeare-lstm", "shakespeare-gru", "jazz-lstm", "jazz-gru"):
        assert re.search(rf"^{stem}\s.*shipped", listing, re.M), stem
    imported = run_readme(_command("models") + " --import FILE")
    assert imported.startswith("imported dinos-gru")
    ev = json.loads(run_readme(_command("eval")))
    assert ev["model"] == "dinos-lstm" and ev["same_corpus_as_training"] is False and ev["val_nll"] > 0


def test_readme_jazz_report(run_readme):
    report = json.loads(run_readme(_command("jazz-report", without="--discriminate")))
    assert report["model"] == "jazz-gru" and report["human_solos"] == 2
    assert report["human_held_out"] == "whole folder"   # not the training corpus
    assert report["reference"] == "the checkpoint's training fingerprint"
    assert report["model_side"]["bars"] == report["human_side"]["bars"] == 16
    assert report["human_side"]["notes_per_bar"] == {"< 140 bpm": 8.0, "140-199 bpm": None, ">= 200 bpm": 8.0}


def test_readme_bench_quick(run_readme):
    report = json.loads(run_readme(_command("bench")))
    assert set(report) == {"machine", "sampling", "training", "checkpoint"}
    for batch in ("batch_1", "batch_64"):
        row = report["sampling"][batch]
        # each ratio is the quotient of the two rates printed beside it
        assert row["ratio_vs_nn_lstm_step"] == pytest.approx(row["ours_tok_s"] / row["nn_lstm_step_tok_s"], rel=0.02, abs=0.01)
        assert row["ratio_vs_rerun_prefix"] == pytest.approx(row["ours_tok_s"] / row["rerun_prefix_tok_s"], rel=0.02, abs=0.1)
        assert row["rerun_prefix_tokens"] == 100  # --quick
    t = report["training"]
    assert t["rounds"] == 1 and t["ratio_trainer_vs_bare"] == pytest.approx(t["trainer_tok_s"] / t["bare_loop_tok_s"], rel=0.01)
    assert set(report["checkpoint"]) == {"load_ms_lstm_2x512", "load_ms_lstm_3x512"}


def test_no_verb_opens_the_window_and_closes(tmp_path):
    """``sequence-studio`` with no verb (as ``python -m studio`` does) opens the main window."""
    pytest.importorskip("PySide6", reason="the window needs PySide6")
    script = textwrap.dedent("""
        import sys
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication
        app = QApplication(sys.argv)

        def close_all():
            shown = [w for w in QApplication.topLevelWidgets() if type(w).__name__ == "MainWindow"]
            print("windows", len(shown), [w.isVisible() for w in shown], flush=True)
            for w in shown:
                w.close()
            app.quit()

        QTimer.singleShot(3000, close_all)
        from studio.cli import main
        sys.exit(main([]))
    """)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", SEQUENCE_STUDIO_HOME=str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                          timeout=120, cwd=str(ROOT))
    assert proc.returncode == 0, proc.stderr
    assert "windows 1 [True]" in proc.stdout, proc.stdout + proc.stderr
    assert "Sequence Studio" in (tmp_path / "sequence-studio.log").read_text(encoding="utf-8")


def test_cli_tags_known_names_in_corpus_and_others_new(tmp_path, capsys):
    """A names model that always ends right after its prefix: the prefix is the take, so
    the tag is known in advance for names in and out of the training list."""
    import torch

    from studio.core.net import NetConfig, SequenceNet
    from studio.core.vocab import Vocab

    vocab = Vocab.from_text("abcdefghijklmnopqrstuvwxyz")
    torch.manual_seed(0)
    net = SequenceNet(NetConfig(cell="gru", vocab_size=len(vocab), layers=1, hidden=8, embedding=4))
    with torch.no_grad():
        net.head.bias[vocab.end_id] = 50.0
    path = save_checkpoint(tmp_path / "m.safetensors", net, vocab,
                           {"domain": "names", "corpus": {"train_items": ["stegosaurus", "raptorex"]}})
    for prefix, tag in (("stegosaurus", "(in corpus)"), ("raptorex", "(in corpus)"),
                        ("stegosaur", "(new)"), ("zzyzx", "(new)")):
        capsys.readouterr()
        assert main(["sample", str(path), "--prime", prefix, "-t", "0", "-n", "2"]) == 0
        # greedy: the same name twice, the second time marked as a repeat of the batch
        assert capsys.readouterr().out.splitlines() == [f"{prefix}  {tag}", f"{prefix}  (repeat)"]
    capsys.readouterr()
    assert main(["sample", str(path), "--prime", "raptorex", "-t", "0", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["samples"] == [{"text": "raptorex", "new": False,
                                                                "repeat": False}]

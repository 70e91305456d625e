"""The split by tune end to end: a run trained with ``--split tunes`` records it, and eval,
jazz-report and the tuning tools take their solos from that record; tuning tools refuse
the test split."""

import importlib.util
import json
from pathlib import Path

import pytest

from studio.cli import main
from studio.core.checkpoint import read_metadata
from studio.music.corpus.dataset import load_jazz_corpus
from studio.music.corpus.splits import report_split, tune_of, tune_split

ROOT = Path(__file__).resolve().parent.parent.parent


def _script(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "training" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def tune_corpus(tmp_path, make_midi):
    """Twelve solos over eight tunes: tunes 0-3 played by two performers each."""
    folder = tmp_path / "tunes"
    folder.mkdir()
    for i in range(12):
        tune, player = i % 8, i // 8 + (i % 3)
        notes = [(b / 2, 0.5, 60 + (b * 7 + i) % 12) for b in range(32)]
        make_midi(folder / f"Player{player}_Tune{tune}-{i // 8 + 1}.mid",
                  [{"notes": notes, "texts": [(0, "Dm7"), (4, "G7")]}], tempo_bpm=120 + 10 * i)
    return folder


def test_a_run_split_by_tune_is_reported_on_its_own_test_tunes(tmp_path, tune_corpus, capsys, restore_signals):
    model = tmp_path / "jazz.safetensors"
    assert main(["train", "--corpus", str(tune_corpus), "--kind", "jazz", "--split", "tunes",
                 "--max-steps", "2", "--hidden", "16", "--layers", "1", "--batch", "2", "--window", "32",
                 "--out", str(model), "--jsonl"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert "split by tune" in events[0]["validation"]
    assert read_metadata(model)["corpus"]["split"] == "tunes"
    resume = tmp_path / "jazz.last.safetensors"
    assert resume.is_file()
    assert main(["train", "--resume", str(resume), "--corpus", str(tune_corpus), "--split", "solos"]) == 2
    assert "a resumed run keeps its split" in capsys.readouterr().err

    solos = load_jazz_corpus(tune_corpus).solos
    parts = tune_split(solos, 0.1)
    # the split by solo of twelve solos has no test part at all: the tools follow the record
    assert report_split(solos, 0.1).test == [] and parts.test
    for part, expected in (("test", parts.test), ("val", parts.val)):
        assert main(["eval", str(model), "--corpus", str(tune_corpus), "--choruses", "1",
                     "--split", part]) == 0
        ev = json.loads(capsys.readouterr().out)
        assert ev["val_solos"] == len(expected)
        assert ev["held_out"] == {"test": "test split", "val": "validation split"}[part]
        tunes = len({tune_of(s.title) for s in expected})
        assert ev["solos_scored"].endswith(f"{len(expected)} solos of {tunes} tunes")
    assert main(["eval", str(model), "--corpus", str(tune_corpus), "--choruses", "1"]) == 0
    assert json.loads(capsys.readouterr().out)["held_out"] == "test split"   # the default

    assert main(["jazz-report", str(model), "--human", str(tune_corpus), "--split", "test", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["human_solos"] == len(parts.test)
    assert report["human_held_out"] == "test split of the training corpus"
    assert main(["jazz-report", str(model), "--human", str(tune_corpus), "--split", "val"]) == 0
    text = capsys.readouterr().out
    assert "human (validation split)" in text and f"human solos: validation split: {len(parts.val)} solos" in text


def test_a_split_the_corpus_cannot_give_is_one_line(tmp_path, make_midi, capsys, restore_signals):
    names = tmp_path / "names.txt"
    names.write_text("\n".join(f"name{i}" for i in range(40)) + "\n")
    assert main(["train", "--corpus", str(names), "--kind", "names", "--split", "tunes",
                 "--max-steps", "1", "--out", str(tmp_path / "n.safetensors")]) == 2
    assert "--split tunes is for jazz corpora" in capsys.readouterr().err
    assert main(["train", "--corpus", str(names), "--kind", "names", "--split", "bars",
                 "--max-steps", "1", "--out", str(tmp_path / "n.safetensors")]) == 2
    assert "--split" in capsys.readouterr().err


@pytest.mark.parametrize("tool", ["lick_sweep", "jazz_pick"])
def test_tuning_tools_refuse_the_test_split(tool, tmp_path):
    script = _script(tool)
    argv = ["--split", "test"] + ([str(tmp_path / "none.safetensors")] if tool == "jazz_pick" else [])
    with pytest.raises(SystemExit, match="tunes on the validation split only"):
        script.main(argv)

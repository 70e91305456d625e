"""``jazz-report --discriminate`` end to end: a tiny corpus, a tiny model, its takes, the
figures as JSON and as text; a folder of takes grouped with the solos they were played over."""

import json
import signal

import pytest

from studio.cli import main


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from tests.music.conftest import write_midi

    root = tmp_path_factory.mktemp("disc")
    human = root / "human"
    human.mkdir()
    for i in range(6):
        notes = [(b / 2, 0.4, 60 + (b * 5 + i) % 14) for b in range(64)]       # 8 bars
        write_midi(human / f"Player{i % 3}_tune{i}.mid",
                   [{"notes": notes, "texts": [(0, "Dm7"), (4, "G7"), (8, "Cmaj7")]}],
                   tempo_bpm=120 + 20 * i)
    model = root / "jazz.safetensors"
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    assert main(["train", "--corpus", str(human), "--kind", "jazz", "--max-steps", "4",
                 "--hidden", "32", "--layers", "1", "--batch", "4", "--window", "64",
                 "--out", str(model), "--jsonl"]) == 0
    for sig, handler in saved.items():      # the train verb's handlers: pytest's back
        signal.signal(sig, handler)
    return human, model


def test_a_model_against_a_small_folder(tiny, capsys, restore_signals):
    human, model = tiny
    capsys.readouterr()
    assert main(["jazz-report", str(model), "--human", str(human), "--discriminate", "--bars", "8",
                 "--takes-per-solo", "2", "--seed", "3", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["human_split"] == "whole folder (no test split in 6 solos)"
    assert report["human_solos"] == 6 and report["generated_takes"] == 12
    assert report["phrases"]["human"] == 12 and report["tunes"] == 6 and report["folds"] == 5
    assert report["settings"]["licks"] is not None            # the model's stored defaults
    for fig in list(report["classifiers"].values()) + list(report["families"].values()):
        assert fig["ci95"][0] <= fig["auc"] <= fig["ci95"][1]
    assert set(report["classifiers"]) == {"linear", "gru"}
    assert report["seconds"]["total"] >= report["seconds"]["takes"] > 0

    assert main(["jazz-report", str(model), "--human", str(human), "--discriminate", "--bars", "8",
                 "--takes-per-solo", "1", "--folds", "3"]) == 0
    text = capsys.readouterr().out
    assert "GRU over note events" in text and "what gives it away" in text
    assert "3 folds grouped by tune" in text and "total wall time:" in text


def test_a_folder_of_takes_joins_its_solos_tunes(tiny, tmp_path, capsys, restore_signals):
    from studio.music.corpus.dataset import load_jazz_corpus
    from studio.music.notation.midi_file import write_midi
    from studio.music.types import Note

    human, _ = tiny
    takes = tmp_path / "takes"
    for solo in load_jazz_corpus(human).solos:
        line = [Note(t, 3, 62) for t in range(0, 8 * 48, 6)]        # repeated straight eighths
        write_midi(solo.copy(notes=line), takes / f"{solo.title} take 1.mid")
    capsys.readouterr()
    assert main(["jazz-report", "--takes", str(takes), "--human", str(human), "--discriminate",
                 "--bars", "8", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["tunes"] == 6 and report["generated_takes"] == 6     # not 12 tunes
    assert report["classifiers"]["linear"]["auc"] > 0.95
    rows = {r["feature"]: r for r in report["giveaways"]["headline"]}
    assert rows["repeated-note share"]["generated_mean"] == 1.0


def test_bad_requests_get_one_line(tiny, capsys):
    human, model = tiny
    assert main(["jazz-report", str(model), "--human", str(human), "--discriminate",
                 "--held-out", "split"]) == 2
    assert "no test split" in capsys.readouterr().err
    assert main(["jazz-report", str(model), "--human", str(human), "--discriminate",
                 "--folds", "1"]) == 2
    assert "--folds must be 2 or more" in capsys.readouterr().err

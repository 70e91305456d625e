"""The jazz CLI twins end to end: train on a MIDI folder, sample over a chart to MIDI + WAV."""

import json

import mido
import numpy as np
import pretty_midi
import pytest

from studio.cli import main
from studio.music.audio.synth import read_wav



def test_train_on_midi_folder_then_sample_over_a_chart(tmp_path, make_midi, capsys, restore_signals):
    corpus = tmp_path / "tunes"
    corpus.mkdir()
    for i in range(8):
        notes = [(b / 2, 0.5, 60 + (b * 7 + i) % 12) for b in range(64)]
        make_midi(corpus / f"tune{i}.mid", [{"notes": notes, "texts": [(0, "Dm7"), (4, "G7"), (8, "Cmaj7")]}])
    (corpus / "broken.mid").write_bytes(b"MThd garbage")
    model = tmp_path / "jazz.safetensors"
    assert main(["train", "--corpus", str(corpus), "--kind", "jazz", "--max-steps", "6", "--hidden", "32",
                 "--layers", "1", "--batch", "4", "--window", "64", "--out", str(model), "--jsonl"]) == 0
    events = [json.loads(l) for l in capsys.readouterr().out.splitlines()]
    report = events[0]
    assert report["event"] == "report" and report["solos"] == 8
    assert any("broken.mid" in json.dumps(f) for f in report["files"])  # reported, not a crash

    mid, wav = tmp_path / "solo.mid", tmp_path / "solo.wav"
    assert main(["sample", str(model), "--chart", "| Dm7 | G7 | Cmaj7 | % |", "--tempo", "160",
                 "--choruses", "2", "--out", str(mid), "--wav", str(wav), "--seed", "1", "--json"]) == 0
    take = json.loads(capsys.readouterr().out)[0]
    assert take["bars"] == 8
    m = mido.MidiFile(mid)
    assert m.type == 1 and m.ticks_per_beat == 480
    markers = [msg.text for msg in m.tracks[0] if msg.type == "marker"]
    assert markers[:3] == ["Dm7", "G7", "Cmaj7"]
    pm = pretty_midi.PrettyMIDI(str(mid))
    assert [i.name for i in pm.instruments][:1] == ["Solo"]
    assert abs(pm.get_tempo_changes()[1][0] - 160) < 1e-6
    assert len(pm.instruments[0].notes) == take["notes"]
    buf, rate = read_wav(wav)
    assert rate == 44100 and len(buf) >= 8 * 4 * 60 / 160 * rate
    assert float(np.sqrt(np.mean(np.square(buf.astype(np.float64))))) > 0.01  # not silence


def test_eval_holds_out_a_foreign_folder_and_jazz_report(tmp_path, make_midi, capsys, restore_signals):
    train, other = tmp_path / "train", tmp_path / "other"
    for folder, offset, count in ((train, 0, 8), (other, 5, 5)):
        folder.mkdir()
        for i in range(count):
            notes = [(b / 2, 0.5, 60 + (b * 7 + i + offset) % 12) for b in range(64)]
            make_midi(folder / f"Player{i % 3}_tune{i}.mid",
                      [{"notes": notes, "texts": [(0, "Dm7"), (4, "G7"), (8, "Cmaj7")]}], tempo_bpm=120 + 30 * i)
    model = tmp_path / "jazz.safetensors"
    assert main(["train", "--corpus", str(train), "--kind", "jazz", "--max-steps", "4", "--hidden", "32",
                 "--layers", "1", "--batch", "4", "--window", "64", "--out", str(model), "--jsonl"]) == 0
    capsys.readouterr()
    # the checkpoint carries the training fingerprint
    from studio.core.checkpoint import load_checkpoint
    from studio.music.fingerprint import Fingerprint

    fp = Fingerprint.from_checkpoint(load_checkpoint(model))
    assert fp is not None and fp.names and set(fp.names) <= {"Player0", "Player1", "Player2"}

    # another folder: every solo is held out, copies are measured against the training corpus
    assert main(["eval", str(model), "--corpus", str(other), "--choruses", "1"]) == 0
    ev = json.loads(capsys.readouterr().out)
    assert ev["held_out"] == "whole folder" and ev["val_solos"] == 5
    assert ev["copy_reference"].startswith("the checkpoint's training fingerprint")
    # its own corpus: the trainer's validation split, exact copies against its training split
    assert main(["eval", str(model), "--corpus", str(train), "--choruses", "1"]) == 0
    ev = json.loads(capsys.readouterr().out)
    assert ev["held_out"] == "validation split" and 1 <= ev["val_solos"] < 8
    assert ev["val_nll"] == pytest.approx(ev["val_nll_recorded"], abs=2e-3)
    assert main(["eval", str(model), "--corpus", str(train), "--choruses", "1", "--held-out", "all"]) == 0
    assert json.loads(capsys.readouterr().out)["val_solos"] == 8

    assert main(["jazz-report", str(model), "--human", str(other), "--limit", "3", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["human_solos"] == 3 and report["model_side"]["bars"] == report["human_side"]["bars"]
    assert report["reference"] == "the checkpoint's training fingerprint"
    assert main(["jazz-report", str(model), "--human", str(other), "--limit", "2",
                 "--pitch-temperature", "0.5"]) == 0
    table = capsys.readouterr().out
    assert "idiom share" in table and "notes per bar, >= 200 bpm" in table
    assert main(["jazz-report", "--human", str(other)]) == 2       # neither a model nor takes

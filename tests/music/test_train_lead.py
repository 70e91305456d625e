"""``train --lead NAME|NUMBER|auto``: which part of the user's own MIDI arrangements a jazz
model learns as the melody. The note counts are checked against the files as mido reads
them (not against the reader's own report of its choice)."""

from __future__ import annotations

import json

import mido
import pytest

from studio.cli.main import main
from studio.core.checkpoint import read_metadata

PIANO = [(b, 1, p) for b in range(8) for p in (60, 64, 67, 74 + b % 3)]   # chords
SAX = [(b / 2, 0.5, 62 + (b * 5) % 9) for b in range(16)]                 # 16 notes
BASS = [(b, 1, 36 + (b * 7) % 12) for b in range(8)]                      # 8 notes
PARTS = (("Piano", 0, PIANO), ("Tenor Sax", 66, SAX), ("Bass", 32, BASS))
SMALL = ["--kind", "jazz", "--hidden", "16", "--layers", "1", "--embedding", "8", "--batch", "2",
         "--window", "16", "--max-steps", "2", "--eval-every", "1", "--device", "cpu"]


@pytest.fixture
def band_folder(tmp_path, make_midi):
    folder = tmp_path / "band"
    folder.mkdir()
    for i in range(3):
        make_midi(folder / f"tune{i}.mid",
                  [{"name": name, "channel": c, "program": program, "notes": notes}
                   for c, (name, program, notes) in enumerate(PARTS)])
    return folder


def notes_in_track(path, name: str) -> int:
    """How many notes the named track holds, read with mido (the reference)."""
    (track,) = [t for t in mido.MidiFile(str(path)).tracks if t.name == name]
    return sum(m.type == "note_on" and m.velocity > 0 for m in track)


def report_of(capsys, argv) -> dict:
    capsys.readouterr()
    assert main(["train", "--jsonl", "--report", *argv]) == 0
    (report,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()
                 if line.startswith("{") and json.loads(line)["event"] == "report"]
    return report


@pytest.mark.parametrize("lead, track", [("auto", "Tenor Sax"), ("bass", "Bass"), ("3", "Bass"),
                                         ("Tenor", "Tenor Sax"), ("AUTO", "Tenor Sax")])
def test_lead_picks_the_part_learned(band_folder, capsys, lead, track):
    report = report_of(capsys, ["--corpus", str(band_folder), *SMALL, "--lead", lead])
    files = report["files"]
    assert len(files) == 3 and all(f["status"] == "ok" for f in files)
    for entry in files:
        assert entry["notes"] == notes_in_track(band_folder / entry["path"], track), entry
        assert f"'{track}'" in entry["message"].split(" as the lead")[0]


def test_the_lead_is_kept_in_the_model_and_by_resume(band_folder, tmp_path, capsys):
    out = tmp_path / "bass.safetensors"
    assert main(["train", "--corpus", str(band_folder), *SMALL, "--lead", "bass", "--out", str(out)]) == 0
    resume = tmp_path / "bass.last.safetensors"
    assert read_metadata(resume)["train_config"]["lead"] == "bass"
    assert read_metadata(out)["train_config"]["lead"] == "bass"
    # a resumed run reads the same part (no --lead given) ...
    capsys.readouterr()
    assert main(["train", "--jsonl", "--resume", str(resume), "--corpus", str(band_folder),
                 "--max-steps", "3"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    (report,) = [e for e in events if e["event"] == "report"]
    assert all("'Bass'" in f["message"].split(" as the lead")[0] for f in report["files"])
    # ... and refuses another one, saying why, changing nothing
    before = resume.read_bytes()
    assert main(["train", "--resume", str(resume), "--corpus", str(band_folder), "--lead", "sax",
                 "--max-steps", "4"]) == 2
    assert "keeps its lead" in capsys.readouterr().err and resume.read_bytes() == before


def test_lead_is_refused_where_it_means_nothing(band_folder, tmp_path, capsys):
    names = tmp_path / "names.txt"
    names.write_text("anna\nbert\ncarla\n" * 10, encoding="utf-8")
    assert main(["train", "--corpus", str(names), "--kind", "names", "--lead", "sax", "--report"]) == 2
    err = capsys.readouterr().err
    assert "--lead picks the melody part of MIDI files" in err and "Traceback" not in err
    wjazzd = tmp_path / "wjazzd"
    (wjazzd / "csv_melody").mkdir(parents=True)
    assert main(["train", "--corpus", str(wjazzd), "--kind", "jazz", "--lead", "sax", "--report"]) == 2
    assert "Weimar Jazz Database" in capsys.readouterr().err
    # a name no part has: every file is skipped, each saying which parts it has
    assert main(["train", "--corpus", str(band_folder), *SMALL, "--lead", "violin", "--report"]) == 2
    err = capsys.readouterr().err
    assert "violin" in err, err

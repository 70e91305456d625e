from studio.music.chords import NO_CHORD, parse_chord
from studio.music.jazz_data import load_jazz_corpus, training_streams
from studio.music.midi_corpus import load_midi_folder, read_midi_solo

LINE = [(0, 1, 60), (1, 0.5, 62), (1.5, 0.5, 64), (2, 2, 65), (4, 1, 67)]


def test_monophonic_file_with_chord_markers(tmp_path, make_midi):
    path = make_midi(tmp_path / "line.mid", [{"name": "Sax", "notes": LINE,
                                              "texts": [(0, "Dm7"), (2, "G7"), (4, "Intro"), (4, "Cmaj7")]}])
    solo, report = read_midi_solo(path)
    assert report.status == "ok" and report.notes == 5
    assert solo.tempo == 100.0 and solo.beats_per_bar == 4
    assert [(n.start, n.duration, n.pitch) for n in solo.notes] == [
        (0, 12, 60), (12, 6, 62), (18, 6, 64), (24, 24, 65), (48, 12, 67)]
    assert [(s.start, s.end, s.chord) for s in solo.chords] == [
        (0, 24, parse_chord("Dm7")), (24, 48, parse_chord("G7")), (48, 96, parse_chord("Cmaj7"))]


def test_arrangement_takes_the_solo_line_and_says_so(tmp_path, make_midi):
    pad = [(0, 4, 48), (0, 4, 52), (0, 4, 55), (4, 4, 50), (4, 4, 53), (4, 4, 57)]
    drums = [(b / 2, 0.25, 42) for b in range(16)]
    path = make_midi(tmp_path / "band.mid", [
        {"name": "Piano", "channel": 1, "notes": pad},
        {"name": "Trumpet", "channel": 2, "notes": LINE},
        {"name": "Drums", "channel": 9, "notes": drums}])
    solo, report = read_midi_solo(path)
    assert [n.pitch for n in solo.notes] == [60, 62, 64, 65, 67]
    assert "Trumpet" in report.message and "2 parts" in report.message
    assert all(s.chord == NO_CHORD for s in solo.chords)
    assert any("NC" in w for w in report.warnings)


def test_polyphonic_only_takes_the_top_line(tmp_path, make_midi):
    chords = [(0, 2, 48), (0, 2, 55), (0, 2, 64), (2, 2, 50), (2, 2, 57), (2, 2, 65)]
    solo, report = read_midi_solo(make_midi(tmp_path / "pad.mid", [{"notes": chords}]))
    assert [(n.start, n.pitch) for n in solo.notes] == [(0, 64), (24, 65)]
    assert "top line" in report.message


def test_bad_files_get_report_entries(tmp_path, make_midi):
    make_midi(tmp_path / "drums.mid", [{"channel": 9, "notes": [(0, 0.5, 36), (1, 0.5, 38)]}])
    make_midi(tmp_path / "empty.mid", [{"name": "nothing"}])
    (tmp_path / "junk.mid").write_bytes(b"this is not midi at all")
    (tmp_path / "short.mid").write_bytes(b"MThd\x00\x00\x00\x06\x00\x01")
    make_midi(tmp_path / "ok.mid", [{"notes": LINE}])
    solos, files = load_midi_folder(tmp_path)
    entries = {f.path: f for f in files}
    assert [s.title for s in solos] == ["ok"]
    assert "drum-only" in entries["drums.mid"].message and entries["drums.mid"].status == "skipped"
    assert "empty" in entries["empty.mid"].message
    assert entries["junk.mid"].status == "error" and "MIDI" in entries["junk.mid"].message
    assert entries["short.mid"].status == "error"


def test_jazz_corpus_from_midi_and_streams(tmp_path, make_midi):
    for i in range(12):
        make_midi(tmp_path / f"tune{i}.mid", [{"notes": [(b, 1, 60 + (b + i) % 12) for b in range(8)],
                                               "texts": [(0, "C7"), (4, "F7")]}])
    make_midi(tmp_path / "waltz.mid", [{"notes": LINE}], numerator=3)
    corpus = load_jazz_corpus(tmp_path)
    assert len(corpus.solos) == 12 and corpus.report["source"] == "midi"
    assert any(f["status"] == "skipped" and "4/4" in f["message"] for f in corpus.report["files"])
    assert len(corpus.sha256) == 64 and corpus.sha256 == load_jazz_corpus(tmp_path).sha256
    train, val = training_streams(corpus, epoch_seed=1)
    assert len(train) + len(val) == 12 and val
    assert training_streams(corpus, 1) == (train, val)
    again, val2 = training_streams(corpus, 2)
    assert val2 == val and again != train                      # new keys, same validation
    assert all(t[0] == "BAR" for t in train + val)
    blind = load_jazz_corpus(tmp_path, chords=False)
    assert {t for seq in training_streams(blind, 1)[0] for t in seq if t.startswith("CHORD")} == {"CHORD_NC"}

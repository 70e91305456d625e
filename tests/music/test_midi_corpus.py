from studio.music.chords import NO_CHORD, parse_chord
from studio.music.corpus.dataset import load_jazz_corpus, training_streams
from studio.music.corpus.midi import load_midi_folder, read_midi_solo

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
    # no chord symbols: the piano's chords are read instead (C, then D minor)
    assert [(s.start, s.end, s.chord) for s in solo.chords] == [
        (0, 48, parse_chord("C")), (48, 96, parse_chord("Dm"))]
    assert report.chords == "inferred" and any("inferred" in w for w in report.warnings)


def test_lone_melody_without_symbols_is_nc_and_says_so(tmp_path, make_midi):
    solo, report = read_midi_solo(make_midi(tmp_path / "line.mid", [{"notes": LINE}]))
    assert all(s.chord == NO_CHORD for s in solo.chords)
    assert report.chords == "none" and any("NC" in w for w in report.warnings)


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


PIANO_TOP = [(b, 1, p) for b in range(8) for p in (60, 64, 67, 74 + b % 3)]   # chords, top line high
SAX_LINE = [(b / 2, 0.5, 62 + (b * 5) % 9) for b in range(16)]
BASS_LINE = [(b, 1, 36 + (b * 7) % 12) for b in range(8)]


def band_file(make_midi, path, names=("Piano", "Tenor Sax", "Bass"), programs=(0, 66, 32)):
    specs = []
    for i, (name, program, notes) in enumerate(zip(names, programs, (PIANO_TOP, SAX_LINE, BASS_LINE))):
        specs.append({"name": name, "channel": i, "program": program, "notes": notes})
    return make_midi(path, specs)


def test_lead_is_the_sax_not_the_pianos_top_line(tmp_path, make_midi):
    solo, report = read_midi_solo(band_file(make_midi, tmp_path / "band.mid"))
    assert [n.pitch for n in solo.notes] == [p for _, _, p in SAX_LINE]
    assert "'Tenor Sax'" in report.message and "name" in report.message
    assert "1: 'Piano'" in report.message                       # the parts are listed


def test_lead_by_program_and_range_without_names(tmp_path, make_midi):
    path = band_file(make_midi, tmp_path / "anon.mid", names=("", "", ""), programs=(0, 65, 32))
    solo, report = read_midi_solo(path)
    assert [n.pitch for n in solo.notes] == [p for _, _, p in SAX_LINE]
    assert "as the lead (program 65" in report.message
    # two single lines in one range: the reed beats a higher line on a piano program
    high = [(b, 1, 76 + b % 3) for b in range(8)]
    path = make_midi(tmp_path / "two.mid", [{"channel": 0, "program": 0, "notes": high},
                                            {"channel": 1, "program": 65, "notes": SAX_LINE}])
    solo, _ = read_midi_solo(path)
    assert [n.pitch for n in solo.notes] == [p for _, _, p in SAX_LINE]
    # all on program 0 (a piano-trio file): texture and range decide, never the bass
    path = band_file(make_midi, tmp_path / "trio.mid", names=("", "", ""), programs=(0, 0, 0))
    solo, _ = read_midi_solo(path)
    assert [n.pitch for n in solo.notes] == [p for _, _, p in SAX_LINE]


def test_the_user_chooses_the_lead(tmp_path, make_midi):
    path = band_file(make_midi, tmp_path / "band.mid")
    solo, report = read_midi_solo(path, lead="piano")
    assert [n.pitch for n in solo.notes] == [74 + b % 3 for b in range(8)]   # its top line
    assert "your choice" in report.message
    solo, _ = read_midi_solo(path, lead=3)
    assert [n.pitch for n in solo.notes] == [p for _, _, p in BASS_LINE]
    solo, report = read_midi_solo(path, lead="violin")
    assert solo is None and report.status == "skipped"
    assert "no part matches lead 'violin'" in report.message and "2: 'Tenor Sax'" in report.message
    solos, files = load_midi_folder(tmp_path, lead="sax")
    assert [len(s.notes) for s in solos] == [16]


def test_chords_inferred_from_voicings_and_bass(tmp_path, make_midi):
    # rootless voicings over a bass that plays the roots: Dm7 | G7 | Cmaj7 Am7 | D7 G7 |
    changes = [(0, 4, 50, (53, 57, 60, 64)), (4, 4, 43, (53, 59, 64, 65)),
               (8, 2, 48, (52, 55, 59, 62)), (10, 2, 45, (55, 60, 64, 67)),
               (12, 2, 50, (54, 57, 60, 64)), (14, 2, 43, (53, 59, 64, 65))]
    piano = [(b, d, p) for b, d, _, voicing in changes for p in voicing]
    bass = [(b + k, 1, root) for b, d, root, _ in changes for k in range(d)]
    path = make_midi(tmp_path / "changes.mid", [
        {"name": "Alto", "channel": 0, "program": 65, "notes": [(b, 1, 72 + b % 5) for b in range(16)]},
        {"name": "Piano", "channel": 1, "notes": piano},
        {"name": "Bass", "channel": 2, "program": 32, "notes": bass}])
    solo, report = read_midi_solo(path)
    assert [s.chord.name for s in solo.chords] == ["Dm7", "G7", "Cmaj7", "Am7", "D7", "G7"]
    assert [s.start for s in solo.chords] == [0, 48, 96, 120, 144, 168]
    assert report.chords == "inferred"

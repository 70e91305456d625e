"""Issue 9 item 1: one bad number in one MIDI or WJazzD file must not hang or crash a corpus
load. Such files are skipped with the reason in the per-file report; the rest still load."""

import shutil
import time

import mido
import pytest

from studio.music.corpus.dataset import load_jazz_corpus
from studio.music.corpus.midi import read_midi_solo
from studio.music.corpus.wjazzd import load_wjazzd

FAST = 5.0  # seconds: each of these used to hang for minutes (or run out of memory)


def _melody(path, tail_ticks=0, note_off_gap=None, tpb=48, tempos=(100,)):
    mid = mido.MidiFile(type=0, ticks_per_beat=tpb)
    track = mido.MidiTrack()
    for i, bpm in enumerate(tempos):
        track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=0 if i == 0 else tpb * 4))
    for b in range(16):
        track.append(mido.Message("note_on", note=60 + b % 7, velocity=80, time=0))
        if note_off_gap is not None and b == 3:
            for _ in range(note_off_gap):  # many maximal deltas: billions of ticks in all
                track.append(mido.MetaMessage("text", text="x", time=0x0FFFFFFF))
            track.append(mido.Message("note_off", note=60 + b % 7, velocity=0, time=0))
        else:
            track.append(mido.Message("note_off", note=60 + b % 7, velocity=0, time=tpb // 2))
    track.append(mido.MetaMessage("end_of_track", time=tail_ticks))
    mid.tracks.append(track)
    mid.save(path)
    return path


def _timed(fn, *args):
    t = time.perf_counter()
    out = fn(*args)
    assert time.perf_counter() - t < FAST, f"took {time.perf_counter() - t:.1f} s"
    return out


@pytest.mark.timeout(60)
def test_a_huge_end_of_track_delta_is_skipped_with_a_reason(tmp_path):
    path = _melody(tmp_path / "long.mid", tail_ticks=0x0FFFFFFF)
    assert path.stat().st_size < 200
    solo, report = _timed(read_midi_solo, path)
    assert solo is None and report.status in ("skipped", "error") and "bars" in report.message


@pytest.mark.timeout(60)
def test_a_note_held_for_billions_of_ticks_is_skipped(tmp_path):
    path = _melody(tmp_path / "held.mid", note_off_gap=128)
    solo, report = _timed(read_midi_solo, path)
    assert solo is None and "bars" in report.message


@pytest.mark.timeout(60)
def test_a_corpus_with_one_bad_file_still_loads_the_others(tmp_path):
    folder = tmp_path / "tunes"
    folder.mkdir()
    for i in range(3):
        _melody(folder / f"ok{i}.mid")
    _melody(folder / "bad.mid", tail_ticks=0x0FFFFFFF)
    corpus = _timed(load_jazz_corpus, folder)
    assert len(corpus.solos) == 3
    bad = next(f for f in corpus.report["files"] if f["path"] == "bad.mid")
    assert bad["status"] != "ok" and bad["message"]


def test_an_smpte_timed_file_is_skipped_with_its_reason(tmp_path):
    """Found by the long fuzz profile: a header division with its top bit set (SMPTE frames,
    read by mido as ticks_per_beat -32767) put every note before bar 1 and raised
    ValueError ('max() arg is an empty sequence') out of a reader that must never raise."""
    path = tmp_path / "smpte.mid"
    path.write_bytes(b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x80\x01MTrk\x00\x00\x00\x0c"
                     b"\x00\x90\x00\x00\x8aV\x00\x01\x00\xff/\x00")
    solo, report = read_midi_solo(path)
    assert solo is None and report.status == "skipped" and "SMPTE" in report.message


def test_a_zero_ppq_file_is_called_damaged_not_smpte(tmp_path):
    """Issue 23 defect 11: a division of 0 was reported as "timed in SMPTE frames"."""
    path = tmp_path / "ppq0.mid"
    path.write_bytes(b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x00\x00MTrk\x00\x00\x00\x0c"
                     b"\x00\x90\x3c\x40\x60\x80\x3c\x00\x00\xff/\x00")
    solo, report = read_midi_solo(path)
    assert solo is None and report.status == "error", report
    assert "0 ticks per beat" in report.message and "SMPTE" not in report.message


def test_a_huge_metre_is_skipped_before_chords_are_inferred_over_it(tmp_path):
    """Found by the long fuzz profile: 3 notes in 244/4 with a long end-of-track passed the
    2,000-bar bound but made chord inference lay out 136,000 half-bar windows (0.9 s of CPU
    for a 202-byte file; 16/4 bars at the same bound cost ~0.1 s)."""
    mid = mido.MidiFile(type=1, ticks_per_beat=1)
    lead, band = mido.MidiTrack(), mido.MidiTrack()
    lead.append(mido.MetaMessage("time_signature", numerator=244, denominator=4, time=0))
    lead += [mido.Message("note_on", note=72, velocity=80, time=0), mido.Message("note_off", note=72, time=1)]
    lead.append(mido.MetaMessage("end_of_track", time=244 * 1990))
    band += [mido.Message("note_on", channel=1, note=48, velocity=80, time=0),
             mido.Message("note_off", channel=1, note=48, time=244 * 1990)]
    mid.tracks += [lead, band]
    mid.save(tmp_path / "huge.mid")
    solo, report = _timed(read_midi_solo, tmp_path / "huge.mid")
    assert solo is None and report.status == "skipped" and "244/4" in report.message


def test_truncated_midi_gets_a_sentence_not_an_empty_eoferror(tmp_path):
    path = _melody(tmp_path / "t.mid")
    cut = tmp_path / "cut.mid"
    cut.write_bytes(path.read_bytes()[:30])
    solo, report = read_midi_solo(cut)
    assert solo is None and "truncated" in report.message and "EOFError: )" not in report.message


def test_tempo_changes_are_reported_not_silently_dropped(tmp_path):
    solo, report = read_midi_solo(_melody(tmp_path / "t.mid", tempos=(100, 140)))
    assert solo is not None and solo.tempo == 100
    assert any("tempo" in w for w in report.warnings)


def test_an_oversized_midi_file_is_skipped_unread(tmp_path, monkeypatch):
    from studio.music.corpus import limits

    monkeypatch.setattr(limits, "MAX_MIDI_BYTES", 100)
    solo, report = read_midi_solo(_melody(tmp_path / "big.mid"))
    assert solo is None and "too large" in report.message


# -- WJazzD ---------------------------------------------------------------------------------

def _wjazzd(tmp_path, melody_rows, index_rows=None):
    folder = tmp_path / "wjazzd"
    (folder / "csv_melody").mkdir(parents=True)
    (folder / "csv_beats").mkdir()
    header = "bar,beat,beatdur,denom,division,duration,num,onset,period,pitch,subtatum,tatum\n"
    beats = "bar,beat,chord\n" + "".join(f"{b},{k},{'C7' if k == 1 else ''}\n"
                                         for b in range(1, 5) for k in range(1, 5))
    good = "".join(f"{1 + i // 4},{1 + i % 4},0.5,4,1,0.25,4,0,4,{60 + i % 5},0,1\n" for i in range(16))
    for name, rows in (("Good_Solo", good), ("Bad_Solo", melody_rows)):
        (folder / "csv_melody" / f"{name}.csv").write_text(header + rows)
        (folder / "csv_beats" / f"{name}.csv").write_text(beats)
    if index_rows is not None:
        (folder / "index.csv").write_text(
            "solo,melody_csv,beats_csv\n"
            "Good,csv_melody/Good_Solo.csv,csv_beats/Good_Solo.csv\n" + index_rows)
    return folder


@pytest.mark.timeout(60)
@pytest.mark.parametrize("row,words", [
    ("1,1,0.5,4,1,0.25,4,0,4,inf,0,1\n", "pitch"),
    ("1,1,0.5,4,1,0.25,4,0,4,nan,0,1\n", "pitch"),
    ("1,999999,0.5,4,1,0.25,4,0,4,60,0,1\n", "beat"),
    ("999999,1,0.5,4,1,0.25,4,0,4,60,0,1\n", "bars"),
    ("1,1,0.5,4,0,1e300,4,0,4,60,0,1\n", "duration"),
    ("1,1,0.5,4,100000,0.25,4,0,4,60,0,99999\n", "division"),
])
def test_one_bad_number_in_a_wjazzd_csv_skips_that_solo(tmp_path, row, words):
    folder = _wjazzd(tmp_path, row)
    result = _timed(load_wjazzd, folder)
    assert [s.title for s in result.solos] == ["Good"]
    bad = next(f for f in result.files if "Bad" in f.path)
    assert bad.status == "error" and words in bad.message


def test_a_short_index_row_is_reported_not_a_typeerror(tmp_path):
    folder = _wjazzd(tmp_path, "1,1,0.5,4,1,0.25,4,0,4,60,0,1\n", index_rows="Bad,csv_melody/Bad_Solo.csv\n")
    result = load_wjazzd(folder)
    assert [s.title for s in result.solos] == ["Good"]
    assert any(f.status == "error" and "index.csv" in f.path for f in result.files)
    corpus = load_jazz_corpus(folder)  # the corpus hash skips the row too
    assert len(corpus.solos) == 1


def test_the_real_corpus_layout_is_untouched_by_the_bounds(tmp_path):
    """Bounds must not refuse real solos: the longest WJazzD solo has ~5,000 notes, ~1,000 bars."""
    folder = _wjazzd(tmp_path, "".join(f"{1 + i // 4},{1 + i % 4},0.3,4,2,0.1,4,0,4,{50 + i % 30},0,{1 + i % 2}\n"
                                       for i in range(4000)))
    shutil.rmtree(folder / "csv_beats")
    (folder / "csv_beats").mkdir()
    beats = "bar,beat,chord\n" + "".join(f"{b},{k},\n" for b in range(1, 1001) for k in range(1, 5))
    for name in ("Good_Solo", "Bad_Solo"):
        (folder / "csv_beats" / f"{name}.csv").write_text(beats)
    result = _timed(load_wjazzd, folder)
    assert len(result.solos) == 2, [f.message for f in result.files]

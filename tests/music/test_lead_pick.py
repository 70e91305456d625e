"""The lead pick on a realistic arrangement (issue 22): a guitar-led fusion tune with a horn
section. The file is written here with mido the way a sequencer exports a band: a conductor
track (tempo, metre), one track per instrument with its name and program, performed timing
(onsets scattered by a few ticks), drums on channel 10. The expected figures are counted
from what the test wrote, not from the reader's report."""

from __future__ import annotations

import random

import mido
import pytest

from studio.cli.main import main
from studio.music.corpus.lead_pick import Part, lead_scores, pick_lead
from studio.music.corpus.midi import read_midi_solo

PPQ = 480
BAR = 4 * PPQ
BARS = 217
SOLO = range(12, 12 + 162)                        # the guitar solos through these bars
HORN_BLOCKS = [(0, 12), (40, 16), (80, 16), (120, 16), (160, 12), (200, 12)]   # 84 bars
HORN_BARS = [b for first, n in HORN_BLOCKS for b in range(first, first + n)]
# a section figure: a two-note stab, three eighths, a held stab, one more eighth (in beats)
HORN_FIGURE = [(0.0, 0.5, (0, 4)), (1.0, 0.5, (2,)), (1.5, 0.5, (4,)), (2.0, 0.5, (5,)),
               (2.5, 1.0, (0, 3)), (3.5, 0.5, (2,))]


def _track(name, channel, program, notes):
    """A mido track from (start tick, end tick, pitch, velocity) notes."""
    events = [(0, 0, mido.MetaMessage("track_name", name=name))]
    if program is not None:
        events.append((0, 0, mido.Message("program_change", channel=channel, program=program)))
    for start, end, pitch, vel in notes:
        events.append((start, 2, mido.Message("note_on", channel=channel, note=pitch, velocity=vel)))
        events.append((end, 1, mido.Message("note_off", channel=channel, note=pitch, velocity=0)))
    track, now = mido.MidiTrack(), 0
    for tick, _, msg in sorted(events, key=lambda e: (e[0], e[1])):
        track.append(msg.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=0))
    return track


def horn_line(root: int, rng) -> list:
    notes = []
    for bar in HORN_BARS:
        for beat, beats, voicing in HORN_FIGURE:
            start = bar * BAR + round(beat * PPQ) + rng.randint(0, 6)
            for interval in voicing:                  # the stab's notes start together
                notes.append((start, start + round(beats * PPQ) - 30, root + interval, 96))
    return notes


def guitar_solo(rng) -> list:
    """Eighth-note lines with breaths, a sixteenth run now and then, a double stop every
    16 bars; onsets scattered by up to 8 ticks, notes held legato (a hair past the next)."""
    notes, pitch = [], 67
    for bar in SOLO:
        slots = [i / 2 for i in range(8)] if bar % 4 != 3 else [i / 2 for i in range(5)]
        if bar % 6 == 2:
            slots = [i / 4 for i in range(8)] + [2.0, 2.5, 3.0]
        for k, beat in enumerate(slots):
            pitch = min(84, max(57, pitch + rng.choice([-4, -3, -2, -1, 1, 2, 3, 5])))
            start = bar * BAR + round(beat * PPQ) + rng.randint(-8, 8) + 8
            if k + 1 < len(slots):
                end = bar * BAR + round(slots[k + 1] * PPQ) + 24      # legato
            else:
                end = bar * BAR + round(min(4, beat + 1.5) * PPQ) - 40
            notes.append((start, end, pitch, rng.randint(70, 110)))
            if bar % 16 == 5 and k == 0:
                notes.append((start, end, pitch - 5, 80))      # a double stop
    return notes


def fusion_tune(path):
    rng = random.Random(22)
    mid = mido.MidiFile(type=1, ticks_per_beat=PPQ)
    conductor = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(132)),
                                mido.MetaMessage("time_signature", numerator=4, denominator=4)])
    for bar in range(0, BARS, 2):                     # chord symbols as markers: Dm9 | G13
        conductor.append(mido.MetaMessage("marker", text="Dm9" if bar % 4 == 0 else "G13",
                                          time=0 if bar == 0 else 2 * BAR))
    conductor.append(mido.MetaMessage("end_of_track", time=0))
    keys = [(b * BAR + h * 2 * PPQ, b * BAR + (h + 1) * 2 * PPQ - 40, p, 64)
            for b in range(BARS) for h in range(2) for p in (53, 57, 60, 64)]
    bass = [(b * BAR + q * PPQ, b * BAR + (q + 1) * PPQ - 60, 36 + (b + q * 7) % 12, 90)
            for b in range(BARS) for q in range(4)]
    drums = [(b * BAR + q * PPQ, b * BAR + q * PPQ + 60, (36, 38, 42, 38)[q], 100)
             for b in range(BARS) for q in range(4)]
    mid.tracks += [conductor,
                   _track("Rhodes", 0, 4, keys),
                   _track("Bass", 1, 33, bass),
                   _track("Guitar", 2, 27, guitar_solo(rng)),
                   _track("Trumpet", 3, 56, horn_line(72, rng)),
                   _track("Trombone", 4, 57, horn_line(60, rng)),
                   _track("Drums", 9, None, drums)]
    mid.save(str(path))
    return path


def guitar_pitches(path) -> list[int]:
    """The guitar's notes as mido reads them, one per onset (the top of a double stop)."""
    (track,) = [t for t in mido.MidiFile(str(path)).tracks if t.name == "Guitar"]
    now, onsets = 0, {}
    for msg in track:
        now += msg.time
        if msg.type == "note_on" and msg.velocity > 0:
            onsets[now] = max(onsets.get(now, 0), msg.note)
    return [onsets[t] for t in sorted(onsets)]


def test_the_guitar_that_solos_through_beats_the_horn_section(tmp_path):
    path = fusion_tune(tmp_path / "fusion.mid")
    solo, report = read_midi_solo(path)
    assert report.status == "ok"
    assert [n.pitch for n in solo.notes] == guitar_pitches(path)   # the guitar, every onset
    assert "took 'Guitar' channel 3 as the lead" in report.message
    # the reason names the figures: the guitar's bars, and the horn line it beat
    stacked = 2 * len(HORN_BARS) / (len(HORN_BARS) * 8 - 1)      # 2 stacked of 8 per bar
    assert len(HORN_BARS) == 84 and round(100 * stacked) == 25
    assert f"plays {len(SOLO)} of {BARS} bars" in report.message
    assert f"'Trumpet' ch 4 program 56 ({len(HORN_BARS)} of {BARS} bars, " \
        f"{round(100 * stacked)}% stacked)" in report.message
    assert f"over 'Rhodes' ({BARS} of {BARS} bars, 75% stacked)" in report.message
    # --lead still wins
    solo, report = read_midi_solo(path, lead="trumpet")
    assert "your choice" in report.message and max(n.pitch for n in solo.notes) == 72 + 5


def test_the_reason_reaches_the_train_report(tmp_path, capsys):
    folder = tmp_path / "tunes"
    folder.mkdir()
    fusion_tune(folder / "fusion.mid")
    capsys.readouterr()
    assert main(["train", "--corpus", str(folder), "--kind", "jazz", "--report"]) == 0
    out = capsys.readouterr().out
    # read cleanly (chord markers, tempo, metre: no warnings), the file still says why
    (line,) = [x for x in out.splitlines() if "fusion.mid" in x]
    assert line.startswith("  ok: fusion.mid: 5 parts: took 'Guitar'")
    assert "took 'Guitar'" in line and "plays 162 of 217 bars" in line
    assert "'Trumpet' ch 4 program 56 (84 of 217 bars, 25% stacked)" in line


def _line(track, pitch, start_bar=0, bars=4):
    return Part(track, track, "", 0, [(b * BAR + q * PPQ, b * BAR + q * PPQ + 400, pitch + q, 80)
                                      for b in range(start_bar, start_bar + bars) for q in range(4)])


@pytest.mark.parametrize("order", [(0, 1), (1, 0)])
def test_equal_scores_go_to_the_higher_part(order):
    """The documented tie rule: equal scores, the part that sounds higher wins (in either
    order), and with equal pitch too, the part listed first."""
    low, high = _line(0, 60), _line(1, 72)
    parts = [(low, high)[i] for i in order]
    assert lead_scores(parts, PPQ)[0].score == lead_scores(parts, PPQ)[1].score
    assert pick_lead(parts, PPQ)[0] is high
    twins = [_line(0, 64), _line(1, 64)]
    assert pick_lead(twins, PPQ)[0] is twins[0]
    assert pick_lead(twins[::-1], PPQ)[0] is twins[1]


def test_bars_are_counted_in_the_files_own_bar():
    # a legato note held a hair past the bar line does not count the next bar
    part = Part(0, 0, "", 0, [(0, BAR + 20, 60, 80), (3 * BAR, 4 * BAR, 62, 80)])
    assert part.bar_runs(BAR, PPQ // 8) == [(0, 1), (3, 4)]
    assert part.bar_runs(BAR) == [(0, 2), (3, 4)]
    score = lead_scores([part, _line(1, 48, bars=6)], PPQ)[0]
    assert (score.bars, score.piece_bars) == (2, 6)
    assert lead_scores([part], PPQ, 3)[0].bars == 4        # 3/4 bars: 0-1 and 4-5


def test_a_legato_line_is_one_note_at_a_time(tmp_path, make_midi):
    # each note held 0.05 beat (24 ticks) into the next, as a played legato line is
    line = [(b / 2, 0.55, 60 + b % 5) for b in range(16)]
    solo, report = read_midi_solo(make_midi(tmp_path / "legato.mid", [{"notes": line}]))
    assert "polyphonic" not in report.message and len(solo.notes) == 16
    chords = [(b, 1, p) for b in range(4) for p in (60, 64)]
    _, report = read_midi_solo(make_midi(tmp_path / "chords.mid", [{"notes": chords}]))
    assert report.message == "polyphonic part: took its top line"


def test_program_families_at_their_edges_and_the_reasons_given():
    from studio.music.corpus.lead_pick import _program_score

    edges = {None: 0.0, 31: 0.0, 32: -3.0, 39: -3.0, 40: 2.0, 41: 2.0, 22: 2.0, 47: 0.0, 48: -2.0,
             55: -2.0, 56: 2.0, 79: 2.0, 80: 2.0, 87: 2.0, 88: -2.0, 103: -2.0, 104: 0.0}
    assert {p: _program_score(p) for p in edges} == edges
    sax = Part(0, 0, "Tenor Sax", 66, _line(0, 60).notes)
    assert lead_scores([sax], PPQ)[0].reasons[:2] == ("name", "program 66")
    assert "one note at a time" in lead_scores([sax], PPQ)[0].reasons
    # an unnamed part's ensemble program counts against it (no name points to outweigh it)
    plain, pad = (Part(0, 0, "", program, _line(0, 60).notes) for program in (0, 89))
    assert lead_scores([plain], PPQ)[0].score - lead_scores([pad], PPQ)[0].score == pytest.approx(2.0)

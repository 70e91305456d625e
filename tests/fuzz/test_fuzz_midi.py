"""Fuzz: the MIDI reader and the event encoder. Inputs are MIDI files built from random
messages (extreme deltas, tempos, metres, texts, ticks per beat), then often damaged
(truncated, bytes flipped), plus raw bytes behind an ``MThd`` header. ``read_midi_solo``
never raises (a bad file is a report entry); a solo it returns encodes and decodes."""

import io
import tempfile
from pathlib import Path

import mido
from hypothesis import given
from hypothesis import strategies as st

from studio.music.encoding import BEATS_PER_BAR, decode_tokens, encode_solo
from studio.music.corpus.midi import read_midi_solo

CHORDISH = st.sampled_from(["Dm7", "G7", "Cmaj7", "Bb7", "F#m7b5", "NC", "C-/Bb", "Ebj7911#", "x", ""])
LATIN1 = st.text(st.characters(max_codepoint=255), max_size=12)  # what MIDI text holds
DELTA = st.one_of(st.integers(0, 480), st.integers(0, 0x0FFFFFFF))


@st.composite
def messages(draw):
    kind = draw(st.sampled_from(["on", "off", "on", "tempo", "sig", "text", "program", "name"]))
    time = draw(DELTA)
    ch = draw(st.integers(0, 15))
    if kind == "on":
        return mido.Message("note_on", channel=ch, note=draw(st.integers(0, 127)),
                            velocity=draw(st.integers(0, 127)), time=time)
    if kind == "off":
        return mido.Message("note_off", channel=ch, note=draw(st.integers(0, 127)), time=time)
    if kind == "tempo":
        return mido.MetaMessage("set_tempo", tempo=draw(st.integers(0, 0xFFFFFF)), time=time)
    if kind == "sig":
        return mido.MetaMessage("time_signature", numerator=draw(st.integers(1, 255)),
                                denominator=2 ** draw(st.integers(0, 7)), time=time)
    if kind == "text":
        return mido.MetaMessage(draw(st.sampled_from(["marker", "text", "lyrics", "cue_marker"])),
                                text=draw(st.one_of(CHORDISH, LATIN1)), time=time)
    if kind == "program":
        return mido.Message("program_change", channel=ch, program=draw(st.integers(0, 127)), time=time)
    return mido.MetaMessage("track_name", name=draw(LATIN1), time=time)


@st.composite
def midi_bytes(draw):
    mid = mido.MidiFile(type=draw(st.sampled_from([0, 1, 1, 2])),
                        ticks_per_beat=draw(st.one_of(st.sampled_from([1, 48, 96, 480]), st.integers(1, 0x7FFF))))
    for _ in range(draw(st.integers(0, 3))):
        track = mido.MidiTrack(draw(st.lists(messages(), max_size=60)))
        track.append(mido.MetaMessage("end_of_track", time=draw(DELTA)))
        mid.tracks.append(track)
    if mid.type == 0 and len(mid.tracks) != 1:
        mid.type = 1  # mido writes type 0 with exactly one track only
    buf = io.BytesIO()
    mid.save(file=buf)
    data = buf.getvalue()
    damage = draw(st.sampled_from(["none", "none", "truncate", "flip"]))
    if damage == "truncate" and data:
        data = data[: draw(st.integers(0, len(data) - 1))]
    elif damage == "flip" and data:
        at = draw(st.lists(st.integers(0, len(data) - 1), min_size=1, max_size=4))
        raw = bytearray(data)
        for i in at:
            raw[i] ^= draw(st.integers(1, 255))
        data = bytes(raw)
    return data


INPUTS = st.one_of(midi_bytes(), midi_bytes(),
                   st.binary(max_size=300).map(lambda b: b"MThd\x00\x00\x00\x06" + b))


def _read_and_encode(path: Path):
    solo, report = read_midi_solo(path)
    assert report.status in ("ok", "skipped", "error") and (solo is not None) == (report.status == "ok")
    if solo is not None and solo.beats_per_bar <= BEATS_PER_BAR:
        tokens = encode_solo(solo)
        decode_tokens(tokens)
    return solo


@given(INPUTS)
def test_midi_reader_and_encoder(budget, data):
    # no exception at all is expected here: a bad file is a report entry ("refused")
    run = budget("midi reader+encoder", (), refused=lambda solo: solo is None)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.mid"
        path.write_bytes(data)
        run(_read_and_encode, path, what=f"{len(data)} bytes", raw=data)

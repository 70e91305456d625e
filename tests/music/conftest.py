"""Tiny MIDI fixtures written on the fly (no corpus files in the repo)."""

import mido
import pytest


def write_midi(path, tracks, ticks_per_beat=480, tempo_bpm=100.0, type_=1, numerator=4):
    """tracks: list of dicts {name, channel, program, notes: [(beat, beats, pitch)], texts: [(beat, text)]}."""
    mid = mido.MidiFile(type=type_, ticks_per_beat=ticks_per_beat)
    for i, spec in enumerate(tracks):
        track = mido.MidiTrack()
        events = []
        if i == 0:
            events.append((0, 0, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(tempo_bpm))))
            events.append((0, 0, mido.MetaMessage("time_signature", numerator=numerator, denominator=4)))
        if spec.get("name"):
            events.append((0, 0, mido.MetaMessage("track_name", name=spec["name"])))
        ch = spec.get("channel", 0)
        if ch != 9:
            events.append((0, 0, mido.Message("program_change", channel=ch, program=spec.get("program", 0))))
        for beat, text in spec.get("texts", []):
            events.append((round(beat * ticks_per_beat), 1, mido.MetaMessage("marker", text=text)))
        for beat, beats, pitch in spec.get("notes", []):
            on = round(beat * ticks_per_beat)
            off = round((beat + beats) * ticks_per_beat)
            events.append((on, 2, mido.Message("note_on", channel=ch, note=pitch, velocity=80)))
            events.append((off, 0, mido.Message("note_off", channel=ch, note=pitch, velocity=0)))
        now = 0
        for tick, _, msg in sorted(events, key=lambda e: (e[0], e[1])):
            track.append(msg.copy(time=tick - now))
            now = tick
        track.append(mido.MetaMessage("end_of_track", time=0))
        mid.tracks.append(track)
    mid.save(path)
    return path


@pytest.fixture
def make_midi():
    return write_midi


@pytest.fixture
def jazz_model(tmp_path):
    """A tiny untrained jazz GRU checkpoint: the CLI's plumbing, not the model's taste."""
    import torch

    from studio.core.checkpoint import save_checkpoint
    from studio.core.net import NetConfig, SequenceNet
    from studio.core.vocab import Vocab
    from studio.music.encoding import ENCODING, jazz_vocab_tokens

    torch.manual_seed(0)
    vocab = Vocab.from_tokens(jazz_vocab_tokens(), kind="event")
    net = SequenceNet(NetConfig(cell="gru", vocab_size=len(vocab), layers=1, hidden=16, embedding=8))
    path = tmp_path / "j.safetensors"
    save_checkpoint(path, net, vocab, {"domain": "jazz", "name": "j", "encoding": ENCODING})
    return path

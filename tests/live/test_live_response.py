"""Answers that respond to the call: response modes, the call's cells through the model,
dynamics, and the next block's chords (no MIDI system: generation in this process)."""

from __future__ import annotations

import random
import time
from concurrent.futures import Future
from dataclasses import replace

import pytest

from studio.music.chart import parse_chart
from studio.music.generate import JazzSettings, generate_takes
from studio.music.live.engine import LiveEngine
from studio.music.live.phrase import (follow_dynamics, interval_ngrams, quantise_phrase,
                                      shares_cell)
from studio.music.live.trade import TradeSession, TradeSettings, response_settings
from studio.music.types import Note, Solo

CALL_CHART = parse_chart("| Dm7 | G7 | Cmaj7 | A7 |")
ANSWER_CHART = parse_chart("| Dm7 | G7 | Em7 A7 | Dm7 G7 |")
CELL = [62, 65, 69, 72, 71, 67, 64, 62]          # a line with its own shape


@pytest.fixture(scope="module")
def ckpt(gru_path):
    from studio.core.checkpoint import load_checkpoint

    return load_checkpoint(gru_path)


def call(jitter=None, velocity=70) -> Solo:
    """The call: CELL in eighths, twice over four bars; ``jitter`` (random.Random) moves
    each onset by a human's timing error (sd 12 ms at 240 bpm) before quantising."""
    beat = 0.25
    played = []
    for i in range(24):
        t = i * beat / 2 + (jitter.gauss(0, 0.012) if jitter else 0.0)
        played.append((max(0.0, t), max(0.0, t) + 0.1, CELL[i % len(CELL)], velocity))
    return quantise_phrase(played, 0.0, 4.0, 240.0, CALL_CHART)


def answer(ckpt, mode, phrase, seed):
    base = JazzSettings(seed=seed, tempo=240.0)
    settings = replace(base, primer=phrase, primer_bars=4, **response_settings(mode, phrase, base))
    return generate_takes(ckpt, ANSWER_CHART, settings)[0].solo


def test_develop_answers_play_the_calls_interval_cells_far_more_than_free(ckpt):
    phrase = call()
    shared = {mode: sum(bool(set(interval_ngrams(answer(ckpt, mode, phrase, seed)))
                             & set(interval_ngrams(phrase))) for seed in range(8))
              for mode in ("free", "develop")}
    assert shared["develop"] >= 5 and shared["develop"] >= shared["free"] + 3, shared


def test_an_answer_to_a_phrase_differs_from_the_answer_to_silence_every_time(ckpt):
    rng = random.Random(4)
    silence = generate_takes(ckpt, ANSWER_CHART, JazzSettings(seed=3, tempo=240.0))[0].solo
    for _ in range(12):                                   # 12 human versions of one phrase
        got = answer(ckpt, "develop", call(rng), seed=3)
        assert [(n.start, n.pitch) for n in got.notes] != [(n.start, n.pitch) for n in silence.notes]


def test_modes_set_register_and_cells_and_dynamics_follow_the_call():
    base = JazzSettings(pitch_low=48, pitch_high=84)
    high = call()                                         # 62..72: the middle-high of 48..84
    develop = response_settings("develop", high, base)
    assert develop["motif"] == [n.pitch for n in high.notes] and develop["motif_strength"] > 0
    assert develop["pitch_low"] == 57 and develop["pitch_high"] == 77
    contrast = response_settings("contrast", high, base)
    assert "motif" not in contrast and contrast["pitch_high"] == 69     # below the call
    assert response_settings("free", high, base) == {}
    loud = Solo("a", [Note(0, 6, 60, 40), Note(6, 6, 62, 80)], CALL_CHART.to_spans(1))
    assert [n.velocity for n in follow_dynamics(loud, 100).notes] == [80, 120]


def test_a_call_shares_a_rhythm_cell_augmented():
    phrase = Solo("c", [Note(i * 6, 5, 60 + i, 80) for i in range(6)], CALL_CHART.to_spans(1))
    slower = Solo("a", [Note(i * 12, 10, 70 - i, 80) for i in range(6)], CALL_CHART.to_spans(1))
    got = shares_cell(slower, phrase)
    assert got["augmented"] and not got["rhythm"] and not got["interval"] and got["any"]


class Port:
    def send(self, msg):
        pass

    def close(self):
        pass


class Worker:
    """Records what an answer is asked over (nothing is generated)."""

    def __init__(self):
        self.asked = []

    def submit(self, chart, settings, candidates=1, deadline=None):
        self.asked.append((chart, settings))
        self.candidates = getattr(self, "candidates", []) + [candidates]
        return Future()


def test_a_trading_answer_is_drawn_over_the_next_blocks_chords():
    engine = LiveEngine(Port(), realtime=False)
    worker = Worker()
    chart = "| C7 | F7 | Bb7 | Eb7 |"
    session = TradeSession(engine, worker, chart, JazzSettings(tempo=240.0),
                           TradeSettings(bars=2, mode="develop"))
    engine.start(t0=time.monotonic())
    try:
        for t, pitch in ((0.1, 60), (0.3, 62), (0.5, 64), (0.7, 65), (0.9, 67)):
            session.recorder.notes.append((t, t + 0.1, pitch, 90))
        session._request(1, 1.75)
        over, settings = worker.asked[0]
        assert over.text == "| Bb7 | Eb7 |"                     # block 1: bars 3-4, not the call's
        assert [s.chord.name for s in settings.primer.chords] == ["C7", "F7"]
        assert settings.motif == [60, 62, 64, 65, 67]
        assert worker.candidates == [4]          # develop draws candidates and keeps the best
    finally:
        engine.stop()


def test_develop_keeps_a_candidate_that_shares_a_cell_then_the_most_chord_tones():
    """Among the model's candidates develop keeps one sharing a 4-interval cell with the
    call (transposed), chord tones deciding between those; free keeps the first."""
    from types import SimpleNamespace

    from studio.music.live.phrase import pick_for

    phrase = call()
    spans = ANSWER_CHART.to_spans(1)

    def take(pitches):
        notes = [Note(6 * i, 6, p, 80) for i, p in enumerate(pitches)]
        return SimpleNamespace(solo=Solo("answer", notes, spans, tempo=240.0))

    unrelated = take([62, 63, 61, 66, 60, 62, 64, 59])
    cell_up = take([p + 2 for p in CELL])          # the call's cell a tone up: shares it
    cell_on_tones = take([p + 3 for p in CELL[:5]] + [62, 65, 69])
    chosen = pick_for("develop", [unrelated, cell_up, cell_on_tones], phrase)
    assert shares_cell(chosen.solo, phrase)["interval"]
    from studio.music.metrics import chord_tone_share
    best = max((cell_up, cell_on_tones), key=lambda t: chord_tone_share(t.solo))
    assert chosen is best
    assert pick_for("free", [unrelated, cell_up], phrase) is unrelated

"""Jazz generation over a chord chart, through the engine's one sampler.

``generate_solo(ckpt, chart_text, settings)`` primes the model with ``<end>`` (the token
that separates solos in training) plus optional primer bars, then runs
``studio.core.sampling.sampler.sample_stream`` with a ``ChartGrammar`` constraint that forces the
chart's bars and chords and keeps every event well-formed. The result is a ``Take``:
the decoded solo over the chart, the tokens, and the settings that reproduce it (a take
drawn without a seed records the seed it used).
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable

from .chart import as_chart, check_length
from .encoding import (BEATS_PER_BAR, ENCODING, PITCH_HIGH, PITCH_LOW, TICKS_PER_BAR, decode_tokens,
                       encode_solo, transpose_solo, transpose_tokens)
from .form import chart_chorus_starts
from .grammar import ChartGrammar, GrammarError
from .lick_bias import lick_bias_for
from .motif_bias import motif_bias_for
from .line_bias import combine, line_calibration
from .types import ChordSpan, Note, Solo


# The line's two temperatures (docs/ARCHITECTURE.md, "Tuning"): which pitch, and when
# (onsets, durations, rests, bar lines). The defaults: over the changes of WJazzD's
# validation solos, the GPU-trained v3 models (val NLL 1.64 / 1.63 per note event) at pitch
# T 0.65 overshoot the players' chord-tone share by 7-9 points; 0.8 keeps it within 3-5
# points and strong beats above the players', and the licks (below) bring back the
# repetition and shared idioms a lower temperature bought. Rests and density by tempo are
# rhythm choices and sit close to the players' but not on them for every set of weights, so
# a checkpoint may carry its own tuned values (``meta["sampling"]["pitch_temperature"]``,
# ``["rhythm_temperature"]``, written by ``training/lick_sweep.py --store``); these are the
# values for a checkpoint without them.
PITCH_TEMPERATURE = 0.8
RHYTHM_TEMPERATURE = 1.0
# How strongly the line leans toward the licks its training players share (``lick_bias``:
# 0 off, 1 = a continuation every sharing player agrees on gets 20x its odds). The strength
# that reaches the players' vocabulary depends on the weights (the shipped LSTM follows a
# boost less readily than the GRU), so a checkpoint may carry its own tuned value
# (``meta["sampling"]["licks"]``, written by ``training/lick_sweep.py --store``); LICKS is
# the strength for a checkpoint without one (docs/ARCHITECTURE.md, "Tuning").
LICKS = 0.4
# The register the model plays in on its own (mean MIDI pitch of its takes): what an
# instrument's register is measured against (``register_shift``). Measured per checkpoint
# (``training/lick_sweep.py --fit-register``, validation solos); without it, WJazzD's
# training solos' mean pitch, which the nets learn.
MODEL_REGISTER = 65.3
# what a checkpoint's ``meta["sampling"]`` may tune: (default, lowest, highest)
TUNABLE = {"pitch_temperature": (PITCH_TEMPERATURE, 0.0, 5.0),
           "rhythm_temperature": (RHYTHM_TEMPERATURE, 0.0, 5.0),
           "licks": (LICKS, 0.0, 1.0),
           "register": (MODEL_REGISTER, float(PITCH_LOW), float(PITCH_HIGH))}


@dataclass
class JazzSettings:
    temperature: float = 1.0      # the master knob: multiplies both temperatures below
    # The line's two temperatures: which pitch (PITCH_ tokens) and when (onsets, durations,
    # rests, bar lines). In effect: ``temperature`` x each (``temperatures()``). None: the
    # value tuned for the model (``tuned``), filled in when it plays
    pitch_temperature: float | None = None
    rhythm_temperature: float | None = None
    # weight of the lick vocabulary against the net's pitch choice (0..1; 0 = off); None:
    # the strength tuned for the model (``tuned``), filled in when it plays
    licks: float | None = None
    top_p: float = 1.0
    top_k: int = 0
    seed: int | None = None
    choruses: int = 1
    tempo: float = 160.0
    pitch_low: int = 48
    pitch_high: int = 84
    scale_mask: bool = False
    primer: str | Path | Solo | None = None   # a MIDI file or a (corpus) Solo: its first bars prime the net
    primer_bars: int = 4
    # the primer file's part to take as the line (a 1-based part number or part of a track
    # name, as midi_corpus reports them); None picks the lead part (``lead_pick``)
    primer_lead: str | None = None
    count: int = 1                            # takes drawn in one batch (generate_takes)
    # a call to develop (trading): its pitches, and how strongly the line leans toward its
    # interval cells and their inversions (``motif_bias``; 0 = off)
    motif: list[int] | None = None
    motif_strength: float = 0.0
    # the calibrations fitted for the checkpoint (``line_bias``: the players' share of
    # repeated notes, steps and leaps, and of onset gaps); False plays the net uncorrected
    intervals: bool = True
    # where the line sits: the mean MIDI pitch of the instrument's players
    # (``perform.instruments``); None: the model's own register (``register_shift``)
    register: float | None = None

    def validate(self) -> None:
        if self.choruses < 1 or self.choruses > 64:
            raise ValueError("choruses must be between 1 and 64")
        if not 20 <= self.tempo <= 400:
            raise ValueError("tempo must be between 20 and 400 bpm")
        if self.pitch_low > self.pitch_high:
            raise ValueError("the lowest pitch is above the highest")
        if self.pitch_high < PITCH_LOW or self.pitch_low > PITCH_HIGH:
            raise ValueError(f"the pitch range must overlap {PITCH_LOW}..{PITCH_HIGH}")
        if self.primer_bars < 0:
            raise ValueError("primer bars must be >= 0")
        for name in ("temperature", "pitch_temperature", "rhythm_temperature"):
            if getattr(self, name) is not None and not 0 <= getattr(self, name) <= 5:
                raise ValueError(f"{name.replace('_', ' ')} must be between 0 and 5")
        if not 0 <= self.motif_strength <= 3:
            raise ValueError(f"motif strength must be between 0 (off) and 3, not {self.motif_strength}")
        if self.licks is not None and not 0 <= self.licks <= 1:
            raise ValueError(f"licks must be between 0 (off) and 1, not {self.licks}")
        if self.register is not None and not PITCH_LOW <= self.register <= PITCH_HIGH:
            raise ValueError(f"the register must be a MIDI pitch {PITCH_LOW}..{PITCH_HIGH}, "
                             f"not {self.register:g}")

    def temperatures(self) -> tuple[float, float]:
        """(pitch, rhythm) temperatures in effect: the master times each (one left to the
        model, None, counts as the module default: ``for_model`` fills in the tuned one)."""
        pitch = PITCH_TEMPERATURE if self.pitch_temperature is None else self.pitch_temperature
        rhythm = RHYTHM_TEMPERATURE if self.rhythm_temperature is None else self.rhythm_temperature
        return self.temperature * pitch, self.temperature * rhythm

    def to_json(self) -> dict:
        d = asdict(self) if not isinstance(self.primer, Solo) else {
            **asdict(replace(self, primer=None)), "primer": f"solo:{self.primer.title}"}
        if isinstance(d.get("primer"), Path):
            d["primer"] = str(d["primer"])
        return d


@dataclass
class Take:
    solo: Solo
    chart: str
    settings: JazzSettings
    model_name: str
    tokens: list[str]
    seed: int | None = None
    stopped: bool = False             # True when should_stop ended it early
    info: dict = field(default_factory=dict)

    @property
    def bars(self) -> int:
        return self.solo.bar_count

    @property
    def seconds(self) -> float:
        return self.solo.end_tick * self.solo.seconds_per_tick()

    def to_midi(self, path, **options) -> Path:
        from studio.music.notation.midi_file import write_midi
        return write_midi(self.solo, path, **options)

    def render(self, rate: int = 44100, **options):
        from studio.music.audio.synth import render_solo
        return render_solo(self.solo, rate=rate, **options)

    def metrics(self) -> dict:
        from .metrics import solo_metrics
        return solo_metrics(self.solo)

    def describe(self) -> dict:
        """A JSON-ready summary for the take history and the CLI."""
        return {"model": self.model_name, "seed": self.seed, "bars": self.bars,
                "notes": len(self.solo.notes), "tempo": self.solo.tempo,
                "seconds": round(self.seconds, 2), "stopped": self.stopped,
                "settings": self.settings.to_json(), "chart": self.chart, **self.info}


def _primer_tokens(primer, bars: int, tempo: float, chart_spans: list[ChordSpan],
                   chart_bars: int, lead: str | None = None, shift: int = 0) -> list[str]:
    """Tokens of the first ``bars`` bars of a MIDI file or a Solo (a 4/4 melody), played
    as the bars just before the take: the take's tempo, the last bars of a chorus (FORM),
    and the chart's first chord as the look-ahead at the primer's end. ``shift``: moved
    into the net's frame (``register_shift``), like the chart spans given."""
    if primer is None or bars == 0:
        return []
    if isinstance(primer, Solo):
        solo = primer
    else:
        from studio.music.corpus.midi import read_midi_solo
        solo, report = read_midi_solo(Path(primer), lead)
        if solo is None:
            raise ValueError(f"primer {Path(primer).name}: {report.message}")
    if solo.beats_per_bar != BEATS_PER_BAR:
        raise ValueError(f"primer {solo.title}: {solo.beats_per_bar}/4, the model plays 4/4")
    if shift:
        solo = transpose_solo(solo, shift)
    end = bars * TICKS_PER_BAR
    notes = [Note(n.start, min(n.duration, end - n.start), n.pitch, n.velocity)
             for n in solo.notes if n.start < end]
    spans = [ChordSpan(s.start, min(s.end, end), s.chord) for s in solo.chords if s.start < end]
    if not spans:
        spans = [ChordSpan(0, end, solo.chord_at(0))]
    if chart_spans:   # what comes next: the chart's first chord, right after the primer
        first = chart_spans[0]
        spans.append(ChordSpan(end, end + first.end - first.start, first.chord))
    context = solo.copy(notes=notes, chords=spans, tempo=tempo,
                        chorus_starts=[bars, bars + chart_bars])
    return encode_solo(context, bars=bars)


def tuned(meta: dict | None, key: str) -> float:
    """The value of ``key`` (a ``TUNABLE`` name) tuned for a checkpoint's weights
    (``meta["sampling"][key]``), else the module default."""
    default, low, high = TUNABLE[key]
    value = ((meta or {}).get("sampling") or {}).get(key)
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and low <= value <= high
    return float(value) if ok else default


def for_model(settings: JazzSettings, ckpt) -> JazzSettings:
    """``settings`` with what they leave to the model (None) filled in with the values tuned
    for its weights (licks, pitch and rhythm temperature), so a take records what it was
    played with. The one place the CLI, the window, the live window and reports resolve
    them: a value given (a flag, a box) wins; else the checkpoint's; else the default."""
    meta = getattr(ckpt, "meta", None)
    missing = {key: tuned(meta, key) for key in TUNABLE if getattr(settings, key) is None}
    return replace(settings, **missing) if missing else settings


def register_shift(settings: JazzSettings, meta: dict | None) -> int:
    """Semitones between the register asked for and the model's own (0 when none is asked).

    The nets learned WJazzD's register (mostly tenor saxophones) and take no instrument, so
    a trumpet line is not something they can be asked for directly. They did learn every
    key (training transposes each solo at random), so the take is sampled over the chart
    moved down by the shift, in the net's own register, and the line is moved up by it:
    the same intervals, rhythm and harmony, where the instrument's players sit."""
    if settings.register is None:
        return 0
    return int(round(settings.register - tuned(meta, "register")))


def model_plays_chords(meta: dict) -> bool:
    """False for a chord-blind model (a twin trained with ``chords = false``, or a corpus
    with no chords at all, which the jazz domain records as ``corpus.chords: false``): it
    saw CHORD_NC only, so it must be fed CHORD_NC."""
    for source in (meta, meta.get("train_config") or {}, meta.get("corpus") or {}):
        if isinstance(source, dict) and source.get("chords") is False:
            return False
    return True


def token_classes(tokens: list[str]) -> tuple[int, ...]:
    """Class of each vocabulary entry for the sampler: 0 context (forced by the chart),
    1 pitch, 2 rhythm (onsets, durations, bar lines, the end: when notes sound)."""
    def kind(t: str) -> int:
        if t.startswith("PITCH_"):
            return 1
        if t.startswith(("POS_", "DUR_")) or t in ("BAR", "<end>"):
            return 2
        return 0
    return tuple(kind(t) for t in tokens)


def generate_takes(ckpt, chart_text: str, settings: JazzSettings,
                   should_stop: Callable[[], bool] | None = None,
                   on_step: Callable[[int, list[str]], None] | None = None,
                   kept: list[str] = ()) -> list[Take]:
    """``settings.count`` takes over the chart in one batched pass.

    ``on_step(index, tokens)`` gets row 0's new token list after each step (for a live
    view); ``should_stop()`` is polled each step and ends the takes where they are.
    ``kept``: the tokens of bars the takes keep as they are (``continuation``), up to the
    ``BAR`` of the first bar to play.
    """
    settings.validate()
    chart = as_chart(chart_text)
    check_length(chart, settings.choruses)
    spans = chart.to_spans(settings.choruses)
    bars = chart.bar_count * settings.choruses
    starts = chart_chorus_starts(chart.bar_count, settings.choruses)
    return _sample_takes(ckpt, spans, bars, starts, settings, chart.text, chart.bar_count,
                         should_stop, on_step, kept)


def generate_over(ckpt, solo: Solo, settings: JazzSettings) -> list[Take]:
    """Takes over the changes, form, tempo and length of an existing solo (a corpus solo
    held out from training): the fairest comparison with what the human played there.
    ``settings.tempo`` and ``choruses`` are ignored; the take's chart text is empty."""
    settings = replace(settings, tempo=min(400.0, max(20.0, solo.tempo)), choruses=1)
    settings.validate()
    bars = max(1, solo.bar_count)
    spans = [ChordSpan(s.start, min(s.end, bars * TICKS_PER_BAR), s.chord)
             for s in solo.chords if s.start < bars * TICKS_PER_BAR]
    return _sample_takes(ckpt, spans, bars, solo.chorus_starts or [0], settings, "", bars)


def _sample_takes(ckpt, spans, bars, chorus_starts, settings, chart_text, chart_bars,
                  should_stop=None, on_step=None, kept=()) -> list[Take]:
    from studio.core.sampling.sampler import SampleSettings, sample_stream

    settings = for_model(settings, ckpt)
    vocab = ckpt.vocab
    encoding = (ckpt.meta or {}).get("encoding")
    if encoding and encoding.startswith("jazz-") and encoding != ENCODING:
        raise GrammarError(f"{ckpt.name} was trained on the {encoding} encoding; this version "
                           f"plays {ENCODING}: retrain it (its recipe reproduces it)")
    chords = model_plays_chords(ckpt.meta or {})
    # the net plays in its own register over the chart moved by -shift (``register_shift``)
    shift = register_shift(settings, ckpt.meta)
    low, high = max(settings.pitch_low, PITCH_LOW), min(settings.pitch_high, PITCH_HIGH)
    if shift and max(low - shift, PITCH_LOW) > min(high - shift, PITCH_HIGH):
        raise ValueError(f"the range {settings.pitch_low}..{settings.pitch_high} is out of the "
                         f"model's reach {shift:+d} semitones from its register")
    net_spans = [ChordSpan(s.start, s.end, s.chord.transposed(-shift)) for s in spans]
    grammar = ChartGrammar(vocab.tokens, net_spans, bars, count=settings.count,
                           pitch_low=max(low - shift, PITCH_LOW), pitch_high=min(high - shift, PITCH_HIGH),
                           scale_mask=settings.scale_mask, chords=chords,
                           end_token=vocab.tokens[vocab.end_id], tempo=settings.tempo,
                           chorus_starts=chorus_starts)
    seed = settings.seed if settings.seed is not None else random.randrange(2 ** 31)
    primer = _primer_tokens(settings.primer, settings.primer_bars, settings.tempo, net_spans, chart_bars,
                            settings.primer_lead, -shift)
    # kept bars (continue from bar N): primed in the same one pass as a primer, so the net's
    # state at bar N is the take's; the grammar walks them to go on at bar N
    kept = transpose_tokens(list(kept), -shift)
    grammar.replay(vocab.encode(kept))
    primer = primer + kept
    prime = [vocab.end_id] + vocab.encode(primer)
    licks, licks_note = lick_bias_for(ckpt, settings.licks, settings.count, primer)
    # the call's cells (trading's develop mode) and the line's calibrations on top of the licks
    motif = motif_bias_for(ckpt, settings.motif and [p - shift for p in settings.motif],
                           settings.motif_strength, settings.count, primer)
    calibration, calibration_note = (line_calibration(vocab.tokens, ckpt.meta, settings.count, primer,
                                                      settings.tempo) if settings.intervals else (None, "off"))
    bias = combine(licks, motif, calibration)
    pitch_t, rhythm_t = settings.temperatures()
    # token classes also keep a lick bias inside the pitch class (which note, not whether one)
    tempered = settings.temperature > 0 and (pitch_t != rhythm_t or bias is not None)
    sample_settings = SampleSettings(
        # the choice between a note now and a later onset is a rhythm choice
        temperature=max(rhythm_t, 1e-3) if tempered else rhythm_t,
        top_k=settings.top_k, top_p=settings.top_p, max_length=grammar.max_tokens(),
        count=settings.count, seed=seed, stop_at_end=True,
        token_classes=token_classes(vocab.tokens) if tempered else None,
        class_temperatures=(rhythm_t, max(pitch_t, 1e-3), max(rhythm_t, 1e-3)) if tempered else ())
    rows: list[list[str]] = [list(kept) for _ in range(settings.count)]
    stopped = False
    stream = sample_stream(ckpt.model, prime, sample_settings, constraint=grammar,
                           end_id=vocab.end_id, bias=bias)
    try:
        for step in stream:
            for row, tok in zip(rows, step.tokens):
                if tok >= 0:
                    row.append(vocab.tokens[tok])
            if on_step is not None:
                on_step(step.index, rows[0])
            if should_stop is not None and should_stop():
                stopped = not all(step.done)
                break
    finally:
        stream.close()

    takes = []
    model_name = getattr(ckpt, "name", None) or (ckpt.meta or {}).get("name", "model")
    for tokens in rows:
        tokens = transpose_tokens(tokens, shift)   # back from the net's frame to the chart's
        solo = decode_tokens(tokens, tempo=settings.tempo, title=f"{model_name} take")
        played = max(1, solo.bar_count) if stopped else bars
        end = played * TICKS_PER_BAR
        solo.chords = [ChordSpan(s.start, min(s.end, end), s.chord) for s in spans if s.start < end]
        solo.chorus_starts = list(chorus_starts)
        takes.append(Take(solo, chart_text, settings, model_name, tokens, seed=seed,
                          stopped=stopped, info={"chord_aware": chords, "bars_planned": bars,
                                "licks": licks_note, "intervals": calibration_note,
                                "register_shift": shift}))
    return takes


def generate_solo(ckpt, chart_text: str, settings: JazzSettings | None = None,
                  should_stop: Callable[[], bool] | None = None,
                  on_step: Callable[[int, list[str]], None] | None = None) -> Take:
    """One take over the chart (``settings.count`` is treated as 1)."""
    settings = replace(settings or JazzSettings(), count=1)
    return generate_takes(ckpt, chart_text, settings, should_stop, on_step)[0]


def take_is_well_formed(take: Take) -> list[str]:
    """Problems with a take (empty list = well-formed); used by tests and the CLI."""
    problems = []
    solo = take.solo
    bars = take.info.get("bars_planned") or as_chart(take.chart).bar_count * take.settings.choruses
    total = bars * TICKS_PER_BAR
    notes = sorted(solo.notes)
    for a, b in zip(notes, notes[1:]):
        if b.start < a.end:
            problems.append(f"overlap at tick {b.start}")
    for n in notes:
        if n.end > total or n.start < 0:
            problems.append(f"note at tick {n.start} ends at {n.end}, after the take ({total})")
        if not take.settings.pitch_low <= n.pitch <= take.settings.pitch_high:
            problems.append(f"pitch {n.pitch} outside the range")
    if not take.stopped and take.tokens and take.tokens[-1] != "<end>":
        problems.append("the take does not end with <end>")
    return problems

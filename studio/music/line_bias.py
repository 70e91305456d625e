"""The line's calibrations: the sampler's ``LogitBias`` that gives a take the players' steps
(``IntervalBias``, below) and their rhythm (``OnsetBias``: onset gaps and written durations,
at the end of this module).

Measured teacher-forced on WJazzD's validation solos (docs/ARCHITECTURE.md, "Tuning: the
line"), the shipped nets put 14-16% of their pitch probability on striking the previous
pitch again where the players do it on 5% of their steps, and the pitch temperature (0.8)
and the lick bias narrow the rest (the licks the players share are scale runs): takes
stuttered (16% repeated notes) and leapt half as often as the players. The fix is a
log-linear correction of the line's interval distribution, one offset per interval class
(``CLASSES``: unison, half and whole steps, thirds, fourths to fifths, sixths to sevenths,
octaves and wider, up and down apart), so the pitch is drawn from

    p'(pitch) ~ p(pitch) x exp(offset[class(pitch - last pitch)])

where p is the net's distribution at the pitch temperature times the lick bias: the
harmony, the rhythm and the licks inside each class stay the net's and the table's; only
how often each size of step comes is set. The offsets are fitted (``fit_offsets``) so that,
teacher-forced over held-out solos, the expected share of each class equals the players'
(generalised iterative scaling: each token has exactly one class, so each step of
``offset += log(players' share / expected share)`` is exact for that class), at the pitch
temperature and lick strength the checkpoint plays; ``training/lick_sweep.py --fit-intervals``
fits and stores them (``meta["sampling"]["intervals"]``, weights untouched). A checkpoint
without them plays uncorrected.
"""

from __future__ import annotations

import math

import torch

from .encoding import PITCH_HIGH, PITCH_LOW

# |interval| upper edges of the classes; each class but the unison is split up / down
EDGES = (0, 1, 2, 4, 7, 11, 127)
CLASSES = 2 * len(EDGES) - 1          # 13: unison, then (up, down) per size
NAMES = ("unison",) + tuple(f"{d}{name}" for name in ("1", "2", "3-4", "5-7", "8-11", "12+")
                            for d in ("+", "-"))
MIN_COUNT = 20   # a class the held-out solos play fewer times keeps offset 0 (too few to fit)
LIMIT = 4.0      # |offset| at most: a factor of 55 on a class's odds, never a ban


def interval_class(step: int) -> int:
    """The class of a pitch step (``NAMES`` gives each a name)."""
    size = abs(step)
    k = next(i for i, edge in enumerate(EDGES) if size <= edge)
    return 0 if k == 0 else 2 * k - (1 if step > 0 else 0)


def stored_offsets(meta: dict | None) -> list[float] | None:
    """The offsets stored for a checkpoint (``meta["sampling"]["intervals"]``), or None."""
    value = ((meta or {}).get("sampling") or {}).get("intervals")
    if (isinstance(value, list) and len(value) == CLASSES
            and all(isinstance(v, (int, float)) and abs(v) <= LIMIT for v in value)):
        return [float(v) for v in value]
    return None


def _pitch_ids(vocab_tokens: list[str]) -> tuple[list[int], list[int]]:
    pairs = [(i, int(t[6:])) for i, t in enumerate(vocab_tokens) if t.startswith("PITCH_")]
    return [i for i, _ in pairs], [p for _, p in pairs]


class IntervalBias:
    """``studio.core.sampling.sampler.LogitBias`` for N jazz rows: the offsets above, added
    to a row's pitch tokens when a pitch is next (after the harmony) and a pitch came before
    (a primer's last pitch counts). One table row per last pitch, so a step costs an index."""

    def __init__(self, vocab_tokens: list[str], offsets: list[float], count: int = 1,
                 primes: list[list[int]] | None = None):
        ids, pitches = _pitch_ids(vocab_tokens)
        self.low = PITCH_LOW
        self.table = torch.zeros(PITCH_HIGH - PITCH_LOW + 1, len(vocab_tokens))
        for last in range(PITCH_LOW, PITCH_HIGH + 1):
            self.table[last - PITCH_LOW, ids] = torch.tensor(
                [offsets[interval_class(p - last)] for p in pitches])
        self.pitch_of = dict(zip(ids, pitches))
        self.harmony_ids = {i for i, t in enumerate(vocab_tokens) if t.startswith("CHORD_")}
        self.last = [(p[-1] if p else None) for p in (primes or [[]] * count)]
        self.ready = [False] * count

    def bias(self, step: int) -> torch.Tensor | None:
        rows = [(r, last) for r, last in enumerate(self.last) if self.ready[r] and last is not None]
        if not rows:
            return None
        out = torch.zeros(len(self.last), self.table.size(1))
        for r, last in rows:
            out[r] = self.table[last - self.low]
        return out

    def advance(self, tokens: torch.Tensor) -> None:
        for r, tok in enumerate(tokens.tolist()):
            pitch = self.pitch_of.get(tok)
            if pitch is not None and self.ready[r]:
                self.last[r] = pitch
            self.ready[r] = tok in self.harmony_ids


class SumBias:
    """Several ``LogitBias`` at once: their biases added (each sees every token)."""

    def __init__(self, *parts):
        self.parts = [p for p in parts if p is not None]

    def bias(self, step: int) -> torch.Tensor | None:
        found = [b for b in (p.bias(step) for p in self.parts) if b is not None]
        return None if not found else found[0] if len(found) == 1 else sum(found)

    def advance(self, tokens: torch.Tensor) -> None:
        for p in self.parts:
            p.advance(tokens)


def combine(*parts):
    """One bias for the sampler: None, the only one, or their sum."""
    parts = [p for p in parts if p is not None]
    return None if not parts else parts[0] if len(parts) == 1 else SumBias(*parts)


def teacher_forced_steps(ckpt, solos, pitch_temperature: float, licks: float, chords: bool = True):
    """(logits [S, P] over the pitch tokens as the take draws them: the net at the pitch
    temperature plus the lick bias; classes [S, P] of each pitch against the last one;
    the class each player actually played [S]) over every step of ``solos`` (held out);
    ``chords`` False for a chord-blind model (``generate.model_plays_chords``)."""
    from .encoding import encode_solo
    from .lick_bias import lick_bias_for

    vocab = ckpt.vocab
    ids, pitches = _pitch_ids(vocab.tokens)
    column = {i: c for c, i in enumerate(ids)}
    logits, classes, played = [], [], []
    ckpt.model.eval()
    for solo in solos:
        tokens = encode_solo(solo, chords=chords)
        seq = [vocab.end_id] + vocab.encode(tokens)
        with torch.no_grad():
            out, _ = ckpt.model(torch.tensor([seq]))
        out = out[0, :, ids].float() / max(pitch_temperature, 1e-3)
        licks_bias, _ = lick_bias_for(ckpt, licks, 1, [])
        last = None
        for k, tok in enumerate(tokens):
            if tok.startswith("PITCH_") and last is not None:
                row = out[k].clone()
                if licks_bias is not None and licks_bias.rows[0].ready:
                    for token, b in licks_bias.row_bias(licks_bias.rows[0]).items():
                        row[column[token]] += b
                logits.append(row)
                classes.append([interval_class(p - last) for p in pitches])
                played.append(interval_class(int(tok[6:]) - last))
            if tok.startswith("PITCH_"):
                last = int(tok[6:])
            if licks_bias is not None:
                licks_bias.advance(torch.tensor([seq[k + 1]]))
    return torch.stack(logits), torch.tensor(classes), torch.tensor(played)


def class_shares(logits: torch.Tensor, classes: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    """The expected share of each class over the steps with ``offsets`` applied."""
    probs = torch.softmax(logits + offsets[classes], -1)
    return torch.zeros(CLASSES).index_add_(0, classes.flatten(), probs.flatten()) / len(logits)


def fit_offsets(logits: torch.Tensor, classes: torch.Tensor, played: torch.Tensor,
                rounds: int = 200) -> list[float]:
    """The offsets that give each class its share of ``played`` (see the module text); a
    class played fewer than ``MIN_COUNT`` times keeps 0, the others share the rest."""
    counts = torch.bincount(played, minlength=CLASSES).float()
    fit = counts >= MIN_COUNT
    target = torch.where(fit, counts, torch.zeros(CLASSES)) / counts[fit].sum()
    offsets = torch.zeros(CLASSES)
    for _ in range(rounds):
        shares = class_shares(logits, classes, offsets)
        # the classes left unfitted keep the mass the net gives them; the rest share what
        # is left in the players' proportions
        goal = target * (1 - shares[~fit].sum())
        step = torch.log(goal.clamp_min(1e-12) / shares.clamp_min(1e-12))
        offsets = torch.where(fit, (offsets + step).clamp(-LIMIT, LIMIT), offsets)
    return [round(float(v), 4) for v in offsets]


# -- the rhythm calibration ------------------------------------------------------------------
# Free-running, the nets drift sparse and legato: over the test split's changes the takes
# played 5.7-6.0 notes a bar where the training players play 6.5 at those tempos, with fewer
# 16th and triplet onsets and more notes of 9-12 ticks, though teacher-forced the same nets
# give the players' rhythm. So the line's two rhythm choices get a log-linear offset per
# class and tempo band, like the intervals above: the gap from one onset to the next (in
# ticks, 12 a beat) and the written duration (which bounds the gap: the next onset never
# comes before the note ends). They are fitted on the takes themselves
# (``training/lick_sweep.py --fit-onsets``): each round plays takes over training solos'
# changes and moves each class by log(players' share / takes' share).
GAP_EDGES = (2, 3, 4, 6, 9, 12, 24, 10 ** 6)
GAP_NAMES = ("1-2", "3", "4", "5-6", "7-9", "10-12", "13-24", "25+")
GAP_BANDS = (140, 200)          # < 140, 140-199, >= 200 bpm: as the reports' tempo bands
RHYTHM_CLASSES = 2 * len(GAP_EDGES)   # the gaps' classes, then the durations' (same edges)
ONSET_LIMIT = 3.0


def gap_class(gap: int) -> int:
    """The class of an onset gap or a duration in ticks (``GAP_NAMES``)."""
    return next(i for i, edge in enumerate(GAP_EDGES) if gap <= edge)


def gap_band(bpm: float) -> int:
    return sum(bpm >= edge for edge in GAP_BANDS)


def stored_onsets(meta: dict | None, bpm: float) -> list[float] | None:
    """The rhythm offsets stored for the checkpoint (``meta["sampling"]["onsets"]``, one
    list per tempo band: the gap classes', then the durations') for a tempo, or None."""
    value = ((meta or {}).get("sampling") or {}).get("onsets")
    if not (isinstance(value, list) and len(value) == len(GAP_BANDS) + 1):
        return None
    row = value[gap_band(bpm)]
    if (isinstance(row, list) and len(row) == RHYTHM_CLASSES
            and all(isinstance(v, (int, float)) and abs(v) <= ONSET_LIMIT for v in row)):
        return [float(v) for v in row]
    return None


class OnsetBias:
    """``LogitBias`` for N jazz rows: the rhythm offsets, added to the next onset's choice
    (each ``POS_k`` of the bar, and ``BAR`` at the gap to the next bar's downbeat) after a
    note's duration or a position's harmony once a note has sounded, and to the ``DUR_d``
    choice after a pitch. Inside the sampler's rhythm class, so it never decides between a
    note now and a later one at a chord change."""

    def __init__(self, vocab_tokens: list[str], offsets: list[float], count: int = 1,
                 ticks_per_bar: int = 48):
        k = len(GAP_EDGES)
        self.gap_offsets = torch.tensor(offsets[:k], dtype=torch.float32)
        self.duration_row = torch.zeros(len(vocab_tokens))
        for i, t in enumerate(vocab_tokens):
            if t.startswith("DUR_"):
                self.duration_row[i] = offsets[k + gap_class(int(t[4:]))]
        self.width = len(vocab_tokens)
        self.pos_of = {i: int(t[4:]) for i, t in enumerate(vocab_tokens) if t.startswith("POS_")}
        self.pos_ids = torch.tensor(list(self.pos_of))
        self.pos_ticks = torch.tensor(list(self.pos_of.values()))
        self.bar_id = vocab_tokens.index("BAR")
        self.pitch_ids = {i for i, t in enumerate(vocab_tokens) if t.startswith("PITCH_")}
        self.ready_after = {i for i, t in enumerate(vocab_tokens) if t.startswith(("DUR_", "CHORD_"))}
        self.edges = torch.tensor(GAP_EDGES[:-1])
        self.tpb = ticks_per_bar
        self.bar = [-1] * count
        self.pos = [0] * count
        self.last = [None] * count
        self.ready = [False] * count     # an onset is next
        self.pitched = [False] * count   # a duration is next

    def bias(self, step: int) -> torch.Tensor | None:
        rows = [r for r, ready in enumerate(self.ready) if ready and self.last[r] is not None]
        durations = [r for r, pitched in enumerate(self.pitched) if pitched]
        if not rows and not durations:
            return None
        out = torch.zeros(len(self.ready), self.width)
        for r in rows:
            start = self.bar[r] * self.tpb - self.last[r]     # the bar's downbeat, from the last onset
            gaps = (start + self.pos_ticks).clamp_min(1)
            out[r, self.pos_ids] = self.gap_offsets[torch.bucketize(gaps, self.edges)]
            out[r, self.bar_id] = self.gap_offsets[gap_class(max(1, start + self.tpb))]
        for r in durations:
            out[r] = self.duration_row
        return out

    def advance(self, tokens: torch.Tensor) -> None:
        for r, tok in enumerate(tokens.tolist()):
            if tok == self.bar_id:
                self.bar[r] += 1
                self.pos[r] = 0
            elif tok in self.pos_of:
                self.pos[r] = self.pos_of[tok]
            elif tok in self.pitch_ids:
                self.last[r] = self.bar[r] * self.tpb + self.pos[r]
            self.ready[r] = tok in self.ready_after
            self.pitched[r] = tok in self.pitch_ids


def rhythm_shares(solos, bars: int | None = None) -> torch.Tensor:
    """The share of each gap class among the onset gaps of ``solos`` (their first ``bars``),
    then of each duration class among their notes: ``RHYTHM_CLASSES`` numbers."""
    gaps, durations = torch.zeros(len(GAP_EDGES)), torch.zeros(len(GAP_EDGES))
    for solo in solos:
        end = bars * solo.ticks_per_bar if bars else None
        notes = sorted((n for n in solo.notes if end is None or n.start < end), key=lambda n: n.start)
        for a, b in zip(notes, notes[1:]):
            if b.start > a.start:
                gaps[gap_class(b.start - a.start)] += 1
        for n in notes:
            durations[gap_class(max(1, n.duration))] += 1
    return torch.cat([gaps / gaps.sum().clamp_min(1), durations / durations.sum().clamp_min(1)])


def gap_shares(solos, bars: int | None = None) -> torch.Tensor:
    """The share of each gap class among the onset gaps of ``solos`` (their first ``bars``)."""
    return rhythm_shares(solos, bars)[:len(GAP_EDGES)]


def line_calibration(vocab_tokens: list[str], meta: dict | None, count: int, primer: list[str],
                     bpm: float) -> tuple[object | None, str]:
    """(the bias of the checkpoint's stored calibrations, intervals and onsets at ``bpm``;
    a line for the take's info) for ``count`` rows after ``primer``'s tokens."""
    offsets, onsets = stored_offsets(meta), stored_onsets(meta, bpm)
    primed = [int(t[6:]) for t in primer if t.startswith("PITCH_")]
    bias = combine(offsets and IntervalBias(vocab_tokens, offsets, count, [primed] * count),
                   onsets and OnsetBias(vocab_tokens, onsets, count))
    note = offsets_note(offsets) + ("" if onsets is None else "; onset gaps " + ", ".join(
        f"{n} x{math.exp(v):.2f}" for n, v in zip(GAP_NAMES, onsets))
        + "; durations " + ", ".join(f"{n} x{math.exp(v):.2f}"
                                     for n, v in zip(GAP_NAMES, onsets[len(GAP_EDGES):])))
    return bias, note


def offsets_note(offsets: list[float] | None) -> str:
    """One line for a take's info: the factor on each class's odds."""
    if offsets is None:
        return "off"
    return ", ".join(f"{n} x{math.exp(v):.2f}" for n, v in zip(NAMES, offsets))

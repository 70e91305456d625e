"""The line's figures (repeats, leaps, fine partials, register) and the interval calibration
(``line_bias``): its classes, its fit, its bias, and a take that plays it."""

import math

import pytest
import torch

from studio.core.sampling.sampler import SampleSettings, shape_logits
from studio.music import line_bias
from studio.music.analysis.line import line_figures
from studio.music.chords import parse_chord
from studio.music.generate import JazzSettings, generate_solo, token_classes
from studio.music.line_bias import CLASSES, IntervalBias, combine, fit_offsets, interval_class
from studio.music.types import ChordSpan, Note, Solo


def solo(pitches, starts=None):
    starts = starts or [6 * i for i in range(len(pitches))]
    notes = [Note(s, 3, p) for s, p in zip(starts, pitches)]
    return Solo("A_x", notes, [ChordSpan(0, 96, parse_chord("C7"))])


def test_line_figures_count_repeats_steps_leaps_partials_and_register():
    # steps: 0, 1, 2, 5, -8, 0 -> 2 repeats, 1 half, 1 whole, leaps 5+: 2, 8+: 1
    s = solo([60, 60, 61, 63, 68, 60, 60], starts=[0, 3, 6, 8, 12, 16, 24])
    f = line_figures([s])
    assert f["repeated_note_share"] == pytest.approx(2 / 6, abs=1e-4)
    assert f["half_step_share"] == pytest.approx(1 / 6, abs=1e-4)
    assert f["whole_step_share"] == pytest.approx(1 / 6, abs=1e-4)
    assert f["leap_share_5"] == pytest.approx(2 / 6, abs=1e-4)
    assert f["leap_share_8"] == pytest.approx(1 / 6, abs=1e-4)
    # onsets 0, 3, 6, 8, 12, 16, 24: partials 0, 3, 6, 8, 0, 4, 0 -> 3 of 7 are 16ths/triplets
    assert f["fine_onset_share"] == pytest.approx(3 / 7, abs=1e-4)
    assert f["mean_pitch"] == pytest.approx(sum([60, 60, 61, 63, 68, 60, 60]) / 7, abs=0.01)
    assert line_figures([])["repeated_note_share"] is None


def test_interval_classes_split_sizes_and_directions():
    assert [interval_class(i) for i in (0, 1, -1, 2, -2, 3, -4, 5, -7, 8, -11, 12, -19)] == \
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    assert len(line_bias.NAMES) == CLASSES == 13


def synthetic_steps(seed=0, steps=4000):
    """Logits over 61 pitches that favour repeating the last pitch, and what 'players'
    played: steps of 1-2 mostly, never a repeat more than 5% of the time."""
    g = torch.Generator().manual_seed(seed)
    pitches = torch.arange(36, 97)
    last = torch.randint(50, 80, (steps,), generator=g)
    logits = torch.randn(steps, 61, generator=g)
    logits[torch.arange(steps), last - 36] += 3.0                # the net's stutter
    classes = torch.tensor([[interval_class(int(p) - int(l)) for p in pitches] for l in last])
    played_steps = torch.multinomial(torch.tensor([5.0, 30, 30, 20, 15]), steps, True, generator=g)
    sign = torch.randint(0, 2, (steps,), generator=g) * 2 - 1
    played = torch.tensor([interval_class(int(s) * int(d)) for s, d in
                           zip(torch.tensor([0, 1, 2, 3, 6])[played_steps], sign)])
    return logits, classes, played


def test_the_fit_gives_every_class_the_players_share():
    logits, classes, played = synthetic_steps()
    target = torch.bincount(played, minlength=CLASSES).float() / len(played)
    before = line_bias.class_shares(logits, classes, torch.zeros(CLASSES))
    assert before[0] > 3 * target[0]                             # the stutter, before
    offsets = fit_offsets(logits, classes, played)
    after = line_bias.class_shares(logits, classes, torch.tensor(offsets))
    fitted = torch.bincount(played, minlength=CLASSES) >= line_bias.MIN_COUNT
    # the fitted classes in the players' proportions (the unfitted keep the net's mass)
    assert torch.allclose(after[fitted] / after[fitted].sum(), target[fitted] / target[fitted].sum(),
                          atol=2e-3)
    assert offsets[0] < -1                                       # the unison is held back
    # classes never played keep offset 0 (too few to fit), never a ban
    assert all(o == 0 for o, ok in zip(offsets, fitted) if not ok)


def tokens():
    from studio.music.encoding import jazz_vocab_tokens
    return ["<end>", "<unk>", *jazz_vocab_tokens()]


def test_the_bias_adds_each_pitchs_class_offset_after_the_harmony_only():
    toks = tokens()
    ids = {t: i for i, t in enumerate(toks)}
    offsets = [-1.0 - 0.1 * k for k in range(CLASSES)]
    bias = IntervalBias(toks, offsets, count=2, primes=[[64], []])
    assert bias.bias(0) is None                                  # no harmony yet
    bias.advance(torch.tensor([ids["CHORD_C_dom7"]] * 2))
    b = bias.bias(1)
    assert b[0, ids["PITCH_64"]] == pytest.approx(offsets[0])    # the primer's last pitch
    assert b[0, ids["PITCH_65"]] == pytest.approx(offsets[1])
    assert b[0, ids["PITCH_60"]] == pytest.approx(offsets[6])    # down a major third
    assert b[0, ids["PITCH_76"]] == pytest.approx(offsets[11])   # up an octave
    assert b[0, ids["DUR_6"]] == 0 and not b[1].any()            # row 1 has no last pitch
    bias.advance(torch.tensor([ids["PITCH_67"], ids["PITCH_55"]]))
    assert bias.bias(2) is None                                  # a duration comes next
    bias.advance(torch.tensor([ids["DUR_6"], ids["DUR_6"]]))
    bias.advance(torch.tensor([ids["CHORD_C_dom7"]] * 2))
    b = bias.bias(3)
    assert b[0, ids["PITCH_67"]] == pytest.approx(offsets[0])
    assert b[1, ids["PITCH_54"]] == pytest.approx(offsets[2])


def test_the_offsets_move_odds_inside_the_pitch_class_only():
    toks = tokens()
    ids = {t: i for i, t in enumerate(toks)}
    bias = IntervalBias(toks, [math.log(0.25)] + [0.0] * (CLASSES - 1))
    bias.advance(torch.tensor([ids["CHORD_C_dom7"]]))
    bias.advance(torch.tensor([ids["PITCH_60"]]))
    bias.advance(torch.tensor([ids["CHORD_C_dom7"]]))
    torch.manual_seed(1)
    z = torch.randn(1, len(toks))
    s = SampleSettings(temperature=1.0, token_classes=token_classes(toks), class_temperatures=(1.0, 0.8, 1.0))
    got = torch.softmax(shape_logits(z, s, bias.bias(0)), -1)[0]
    plain = torch.softmax(shape_logits(z, s), -1)[0]
    pitch = torch.tensor([t.startswith("PITCH_") for t in toks])
    assert float(got[pitch].sum()) == pytest.approx(float(plain[pitch].sum()), rel=1e-5)
    ratio = (got[ids["PITCH_60"]] / got[ids["PITCH_62"]]) / (plain[ids["PITCH_60"]] / plain[ids["PITCH_62"]])
    assert float(ratio) == pytest.approx(0.25, rel=1e-4)


def test_combine_sums_the_biases_and_feeds_each_its_tokens():
    toks = tokens()
    ids = {t: i for i, t in enumerate(toks)}
    a = IntervalBias(toks, [1.0] * CLASSES, primes=[[60]])
    b = IntervalBias(toks, [0.5] * CLASSES, primes=[[60]])
    assert combine(None, a) is a and combine(None, None) is None
    both = combine(a, b)
    both.advance(torch.tensor([ids["CHORD_C_dom7"]]))
    assert both.bias(0)[0, ids["PITCH_61"]] == pytest.approx(1.5)


def test_a_take_plays_the_checkpoints_stored_offsets():
    import importlib.util
    from pathlib import Path

    # test_licks' tiny checkpoint (tests are not a package: loaded by path)
    spec = importlib.util.spec_from_file_location("test_licks", Path(__file__).with_name("test_licks.py"))
    licks_tests = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(licks_tests)
    ck = licks_tests.tiny_ckpt(3)
    chart = "| Dm7 | G7 | Cmaj7 | % |"

    def repeats(take):
        return line_figures([take.solo])["repeated_note_share"] or 0.0

    plain = generate_solo(ck, chart, JazzSettings(seed=5, licks=0.0, choruses=8))
    assert plain.info["intervals"] == "off"
    # a tiny net that never learnt anything repeats about 1/37 of the time (48..84);
    # a unison offset of +4 (55x the odds) makes it stutter, and the setting turns it off
    ck.meta["sampling"] = {"intervals": [4.0] + [0.0] * (CLASSES - 1)}
    stutter = generate_solo(ck, chart, JazzSettings(seed=5, licks=0.0, choruses=8))
    assert stutter.info["intervals"].startswith("unison x54.60")
    assert repeats(stutter) > 0.4 > 0.1 > repeats(plain)
    off = generate_solo(ck, chart, JazzSettings(seed=5, licks=0.0, choruses=8, intervals=False))
    assert off.tokens == plain.tokens


def test_onset_gaps_and_durations_fall_in_their_classes():
    from studio.music.line_bias import GAP_NAMES, gap_class, gap_shares, rhythm_shares

    assert [GAP_NAMES[gap_class(g)] for g in (1, 2, 3, 4, 5, 6, 7, 9, 10, 12, 13, 24, 25, 400)] == \
        ["1-2", "1-2", "3", "4", "5-6", "5-6", "7-9", "7-9", "10-12", "10-12", "13-24", "13-24",
         "25+", "25+"]
    # onsets 0 3 6 8 12 60 (and one at 100, after the first 2 bars): gaps 3 3 2 4 48
    shares = gap_shares([solo([60] * 7, starts=[0, 3, 6, 8, 12, 60, 100])], bars=2)
    assert shares.tolist() == pytest.approx([1 / 5, 2 / 5, 1 / 5, 0, 0, 0, 0, 1 / 5])
    # the same notes' durations (3 ticks each): six notes in the first two bars
    both = rhythm_shares([solo([60] * 7, starts=[0, 3, 6, 8, 12, 60, 100])], bars=2)
    assert both[:8].tolist() == pytest.approx(shares.tolist())
    assert both[8:].tolist() == pytest.approx([0, 1, 0, 0, 0, 0, 0, 0])


def test_the_onset_bias_adds_each_positions_gap_class_after_a_note():
    """By hand: a note at bar 1, position 6; after its duration, POS_k of bar 1 is k - 6
    ticks on and BAR 42 ticks; after the next BAR, POS_k is 42 + k on."""
    from studio.music.encoding import jazz_vocab_tokens
    from studio.music.line_bias import GAP_EDGES, OnsetBias, gap_class

    tokens = jazz_vocab_tokens()
    offsets = [float(i + 1) for i in range(2 * len(GAP_EDGES))]     # class c -> c + 1
    b = OnsetBias(tokens, offsets, count=1)
    ids = {t: i for i, t in enumerate(tokens)}

    def feed(*names):
        for name in names:
            b.advance(torch.tensor([ids[name]]))

    feed("BAR", "POS_0", "CHORD_C_dom7")
    assert b.bias(0) is None                          # no note yet: nothing to measure from
    feed("BAR", "POS_6", "CHORD_C_dom7", "PITCH_60")
    row = b.bias(0)[0]                                # a pitch: its duration's class is biased
    for d in (1, 3, 4, 6, 9, 12, 24, 96):
        assert row[ids[f"DUR_{d}"]] == offsets[len(GAP_EDGES) + gap_class(d)]
    assert row[ids["POS_9"]] == 0 and row[ids["BAR"]] == 0
    feed("DUR_3")
    row = b.bias(0)[0]
    for k in (7, 9, 10, 12, 18, 47):
        assert row[ids[f"POS_{k}"]] == offsets[gap_class(k - 6)]
    assert row[ids["BAR"]] == offsets[gap_class(42)]
    assert row[ids["PITCH_62"]] == 0 and row[ids["DUR_6"]] == 0   # durations only after a pitch
    feed("BAR")
    assert b.bias(0) is None                          # after a bar line: its tempo and form first
    feed("TEMPO_170", "FORM_2", "POS_0", "TO_4", "NEXT_F_dom7", "CHORD_C_dom7")
    row = b.bias(0)[0]
    assert row[ids["POS_3"]] == offsets[gap_class(45)] and row[ids["POS_0"]] == offsets[gap_class(42)]


def test_a_take_plays_the_stored_onset_offsets_for_its_tempo():
    """A strong offset on beat-long gaps (10-12 ticks) at 140-199 bpm makes most of the take's
    onsets a beat apart (a tiny net's notes are long, so shorter gaps are out of its reach:
    the next onset never comes before the note ends); at 120 bpm (another band's offsets,
    all 0) the take is the plain one; off, off."""
    import importlib.util
    from pathlib import Path

    from studio.music.line_bias import GAP_EDGES, gap_shares

    spec = importlib.util.spec_from_file_location("test_licks", Path(__file__).with_name("test_licks.py"))
    licks_tests = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(licks_tests)
    ck = licks_tests.tiny_ckpt(3)
    chart = "| Dm7 | G7 | Cmaj7 | % |"
    plain = {t: generate_solo(ck, chart, JazzSettings(seed=5, licks=0.0, choruses=8, tempo=t))
             for t in (120, 160)}
    beats = [0.0] * (2 * len(GAP_EDGES))
    beats[5] = 3.0
    ck.meta["sampling"] = {"onsets": [[0.0] * (2 * len(GAP_EDGES)), beats, [0.0] * (2 * len(GAP_EDGES))]}
    fast = generate_solo(ck, chart, JazzSettings(seed=5, licks=0.0, choruses=8, tempo=160))
    assert "onset gaps" in fast.info["intervals"]
    # the tiny net rests across most bar lines (gaps of 25+ ticks, which BAR keeps), so the
    # beat-long gaps double rather than take over
    assert gap_shares([fast.solo])[5] > 2 * gap_shares([plain[160].solo])[5] > 0
    slow = generate_solo(ck, chart, JazzSettings(seed=5, licks=0.0, choruses=8, tempo=120))
    assert slow.tokens == plain[120].tokens
    off = generate_solo(ck, chart, JazzSettings(seed=5, licks=0.0, choruses=8, tempo=160,
                                                intervals=False))
    assert off.tokens == plain[160].tokens

import random

import pytest

from studio.music.chords import NO_CHORD, QUALITIES, Chord, parse_chord
from studio.music.encoding import (DURATIONS, PITCH_HIGH, PITCH_LOW, decode_tokens, encode_solo,
                                   fold_pitch, jazz_vocab_tokens, quantize_duration,
                                   split_solos, transpose_solo)
from studio.music.types import ChordSpan, Note, Solo, merge_spans


def blues_solo():
    spans = [ChordSpan(0, 48, parse_chord("Bb7")), ChordSpan(48, 72, parse_chord("Eb7")),
             ChordSpan(72, 96, parse_chord("Eo7"))]
    notes = [Note(0, 8, 70), Note(8, 4, 72), Note(16, 12, 74), Note(52, 6, 77), Note(60, 36, 73)]
    return Solo("blues", notes, spans)


def test_vocab_is_fixed_and_unique():
    vocab = jazz_vocab_tokens()
    assert vocab == jazz_vocab_tokens()
    assert len(vocab) == len(set(vocab))
    assert "<end>" not in vocab and "<unk>" not in vocab
    assert vocab[0] == "BAR" and "POS_47" in vocab and "CHORD_NC" in vocab and "NEXT_NC" in vocab
    # BAR, 7 tempo buckets, 32 form bars, 48 positions, 8 TO, chords and next chords, pitches, durations
    assert len(vocab) == (1 + 7 + 32 + 48 + 8 + 2 * (1 + 12 * len(QUALITIES))
                          + (PITCH_HIGH - PITCH_LOW + 1) + len(DURATIONS))


def test_encode_known_solo():
    tokens = encode_solo(blues_solo())
    # v3: tempo bucket and bar of chorus after BAR; every position carries TO NEXT CHORD
    assert tokens == [
        "BAR", "TEMPO_100", "FORM_0",
        "POS_0", "TO_4", "NEXT_Eb_dom7", "CHORD_Bb_dom7", "PITCH_70", "DUR_8",
        "POS_8", "TO_4", "NEXT_Eb_dom7", "CHORD_Bb_dom7", "PITCH_72", "DUR_4",
        "POS_16", "TO_3", "NEXT_Eb_dom7", "CHORD_Bb_dom7", "PITCH_74", "DUR_12",
        "BAR", "TEMPO_100", "FORM_1",
        "POS_0", "TO_2", "NEXT_E_dim7", "CHORD_Eb_dom7",            # a change, no note
        "POS_4", "TO_2", "NEXT_E_dim7", "CHORD_Eb_dom7", "PITCH_77", "DUR_6",
        "POS_12", "TO_1", "NEXT_E_dim7", "CHORD_Eb_dom7", "PITCH_73", "DUR_36",
        "POS_24", "TO_2", "NEXT_NC", "CHORD_E_dim7",                 # the change under the note
    ]
    assert set(tokens) <= set(jazz_vocab_tokens())


def test_tempo_and_form_tokens_follow_the_solo():
    solo = blues_solo().copy(tempo=230, chorus_starts=[1])
    bars = encode_solo(solo, bars=3)
    assert [t for t in bars if t.startswith("TEMPO_")] == ["TEMPO_200"] * 3
    # bar 0 is a pickup before the chorus (one start known: a 32-bar chorus assumed)
    assert [t for t in bars if t.startswith("FORM_")] == ["FORM_31", "FORM_0", "FORM_1"]
    assert decode_tokens(bars).chorus_starts == [1]


def test_round_trip_known_solo():
    solo = blues_solo()
    back = decode_tokens(encode_solo(solo))
    assert back.notes == solo.notes
    assert back.chords == merge_spans(solo.chords)


def test_chord_blind_twin():
    tokens = encode_solo(blues_solo(), chords=False)
    chords = [t for t in tokens if t.startswith(("CHORD_", "NEXT_", "TO_"))]
    assert set(chords) == {"CHORD_NC", "NEXT_NC", "TO_8"}
    # the same layout as the chord-aware encoding: a (blind) harmony before every pitch
    assert all(tokens[i - 3:i] == ["TO_8", "NEXT_NC", "CHORD_NC"]
               for i, t in enumerate(tokens) if t.startswith("PITCH_"))
    assert decode_tokens(tokens).notes == blues_solo().notes


def random_solo(rng: random.Random, bars: int) -> Solo:
    notes, t = [], rng.randrange(0, 12)
    end = bars * 48
    while t < end:
        gap = rng.choice([1, 2, 3, 4, 6, 8, 12, 16, 24, 48])
        dur = rng.choice([d for d in DURATIONS if d <= gap] or [1])
        if t + dur > end:
            break
        notes.append(Note(t, dur, rng.randint(PITCH_LOW, PITCH_HIGH)))
        t += gap
    spans, t = [], 0
    while t < end:
        length = rng.choice([24, 48, 96])
        chord = NO_CHORD if rng.random() < 0.1 else Chord(rng.randrange(12), rng.choice(QUALITIES))
        spans.append(ChordSpan(t, min(end, t + length), chord))
        t += length
    return Solo(f"random{rng.random()}", notes, spans)


@pytest.mark.parametrize("seed", range(40))
def test_round_trip_random_grid_solos(seed):
    rng = random.Random(seed)
    solo = random_solo(rng, rng.randint(1, 12))
    tokens = encode_solo(solo)
    back = decode_tokens(tokens)
    assert back.notes == solo.notes
    assert back.chords == merge_spans(solo.chords)
    assert decode_tokens(encode_solo(back)).notes == back.notes


def test_out_of_range_pitches_fold_by_octaves():
    assert fold_pitch(30) == 42 and fold_pitch(100) == 88 and fold_pitch(60) == 60
    solo = Solo("x", [Note(0, 12, 24), Note(12, 12, 108)], [ChordSpan(0, 48, NO_CHORD)])
    assert [n.pitch for n in decode_tokens(encode_solo(solo)).notes] == [36, 96]


def test_durations_snap_and_stay_monophonic():
    assert quantize_duration(13) == 12 and quantize_duration(100) == 96
    assert quantize_duration(40, limit=17) == 16
    solo = Solo("x", [Note(0, 13, 60), Note(6, 50, 62)], [ChordSpan(0, 96, NO_CHORD)])
    back = decode_tokens(encode_solo(solo)).notes
    assert back == [Note(0, 6, 60), Note(6, 48, 62)]


def test_transpose_keeps_intervals_and_moves_chords():
    solo = blues_solo()
    up = transpose_solo(solo, 3)
    assert [b.pitch - a.pitch for a, b in zip(solo.notes, up.notes)] == [3] * len(solo.notes)
    assert [n.start for n in up.notes] == [n.start for n in solo.notes]
    assert up.chords[0].chord == parse_chord("Db7")
    assert transpose_solo(up, -3).notes == solo.notes
    assert solo.chords[0].chord == parse_chord("Bb7")        # the original is untouched


def test_split_is_deterministic_and_stable():
    solos = [Solo(f"solo{i}") for i in range(200)]
    train, val = split_solos(solos, 0.1)
    assert len(train) + len(val) == 200 and 8 <= len(val) <= 35
    assert [s.title for s in split_solos(solos, 0.1)[1]] == [s.title for s in val]
    # adding solos never moves an existing one across
    _, val2 = split_solos(solos + [Solo(f"new{i}") for i in range(50)], 0.1)
    assert {s.title for s in val} <= {s.title for s in val2}
    assert len(split_solos(solos[:2], 0.1)[1]) == 1
    assert split_solos(solos, 0.0)[1] == []

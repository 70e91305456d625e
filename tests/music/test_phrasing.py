import pytest

from studio.music.chords import parse_chord
from studio.music.fingerprint import Fingerprint
from studio.music.metrics import NgramIndex, longest_shared_ngram
from studio.music.analysis.phrasing import (longest_repeated_figure, report_figures, rests,
    rests_per_8_bars, strong_beat_chord_tone_share, tempo_band)
from studio.music.types import ChordSpan, Note, Solo


def line(pitches, step=6, start=0, gap_after=None, title="A_x", tempo=120):
    """Eighth-ish notes; ``gap_after``: {index: extra ticks of silence after that note}."""
    notes, t = [], start
    for i, p in enumerate(pitches):
        notes.append(Note(t, step, p))
        t += step + (gap_after or {}).get(i, 0)
    bars = -(-t // 48)
    return Solo(title, notes, [ChordSpan(0, bars * 48, parse_chord("C7"))], tempo=tempo)


def test_rests_count_silences_of_a_beat_or_more():
    solo = line([60, 62, 64, 65, 67], gap_after={0: 11, 1: 12, 3: 30})
    assert rests(solo) == 2                      # 11 ticks is not a beat; 12 and 30 are
    assert rests_per_8_bars(solo) == pytest.approx(2 * 8 / solo.bar_count)


def test_longest_repeated_figure_needs_two_non_overlapping_statements():
    motif = [60, 64, 67, 65, 62]                  # 4 intervals
    solo = line(motif + [50] + [m + 2 for m in motif] + [40])   # restated a step up
    assert longest_repeated_figure(solo) == 5
    # a figure overlapping itself does not count twice: 0,0,0 inside 5 repeated notes
    assert longest_repeated_figure(line([60] * 5 + [61, 70, 52])) == 3
    assert longest_repeated_figure(line([60, 61, 63, 66, 70])) == 0


def test_strong_beat_chord_tone_share():
    # beats 1 and 3 (ticks 0, 24): E and Bb are C7 chord tones, D is not
    notes = [Note(0, 12, 64), Note(12, 12, 62), Note(24, 12, 62), Note(48, 12, 70)]
    solo = Solo("x", notes, [ChordSpan(0, 96, parse_chord("C7"))])
    assert strong_beat_chord_tone_share(solo) == pytest.approx(2 / 3)
    assert tempo_band(139.9) == "< 140 bpm" and tempo_band(200) == ">= 200 bpm"


def test_fingerprint_idioms_and_copies_against_an_exact_index():
    a = line([60, 62, 64, 65, 67, 69, 71, 72, 74, 76, 77], title="Bird_one")
    b = line([50, 55, 53, 57, 60, 58, 62, 65, 63, 67, 70, 68], title="Trane_two")
    fp = Fingerprint.from_solos([a, b])
    # a take that quotes 9 intervals of Bird's scale (transposed) and then wanders
    take = line([40, 42, 44, 45, 47, 49, 51, 52, 54, 56, 30, 31, 45])
    exact = longest_shared_ngram(take, NgramIndex([a, b])).length
    assert exact == 9 and fp.longest_copy(take) == 9
    # windows of 7 intervals: the first 3 of the take's 6 windows are Bird's
    assert fp.idiom_share(take) == pytest.approx(3 / 6)
    # Bird's own solo: his patterns do not count as shared with another player
    assert fp.idiom_share(a, "Bird") == 0.0 and fp.idiom_share(a, None) == 1.0
    assert fp.longest_copy(line([60, 70, 61, 71])) == 0


def test_fingerprint_survives_a_checkpoint(tmp_path):
    import torch

    from studio.core.checkpoint import load_checkpoint, save_checkpoint
    from studio.core.net import NetConfig, SequenceNet
    from studio.core.vocab import Vocab

    a = line(list(range(60, 75)), title="Bird_one")
    fp = Fingerprint.from_solos([a])
    vocab = Vocab.from_tokens(["a", "b"], kind="event")
    net = SequenceNet(NetConfig(cell="gru", vocab_size=len(vocab), layers=1, hidden=4, embedding=2))
    save_checkpoint(tmp_path / "m.safetensors", net, vocab, {"domain": "jazz", "corpus": {"fingerprint": fp.meta()}},
                    extras=fp.to_tensors())
    back = Fingerprint.from_checkpoint(load_checkpoint(tmp_path / "m.safetensors"))
    assert back is not None and back.names == ["Bird"]
    assert torch.equal(torch.from_numpy(back.hashes), torch.from_numpy(fp.hashes))
    assert back.longest_copy(line(list(range(40, 55)))) == 14
    # the library's re-saves keep it: an import under another name, a rename
    from studio.core.library import import_model, rename_model

    entry = import_model(tmp_path / "m.safetensors", name="other name")
    assert Fingerprint.from_checkpoint(load_checkpoint(entry.path)) is not None
    entry = rename_model(entry, "third name")
    assert Fingerprint.from_checkpoint(load_checkpoint(entry.path)).names == ["Bird"]


def test_report_figures_pools_by_tempo_band():
    slow = line([60, 62] * 8, tempo=100)          # 16 notes, 2 bars
    fast = line([60, 64] * 4, tempo=240)          # 8 notes, 1 bar
    r = report_figures([slow, fast])
    assert r["notes_per_bar"] == {"< 140 bpm": 8.0, "140-199 bpm": None, ">= 200 bpm": 8.0}
    assert r["solos"] == 2 and r["bars"] == 3 and "idiom_share" not in r

"""Chord inference scored against WJazzD's annotated chords (skipped without the corpus).

WJazzD has no accompaniment, so the band is made from its chords two ways: block chords
over the root (what most arrangement files hold) and this app's own rootless voicings in
rhythm over a walking bass (a hard case: no root in the piano, passing notes in the bass).
"""

import pytest

from studio.music.corpus.chord_infer import infer_chords
from studio.music.chords import chord_tones
from studio.music.perform.feel import EXACT
from studio.music.perform.performance import perform
from studio.music.types import chord_at
from studio.music.corpus.wjazzd import load_wjazzd

from .test_corpus_wjazzd import jazz_folder

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def solos():
    folder = jazz_folder()
    if folder is None:
        pytest.skip("WJazzD corpus not found: set SEQUENCE_STUDIO_CORPORA or put it in "
                    "../shared/corpora/jazz next to the repository")
    return [s for s in load_wjazzd(folder, limit=60).solos if s.beats_per_bar == 4]


def accuracy(solos, band):
    total = right = 0
    for solo in solos:
        inferred = infer_chords(band(solo), solo.bar_count * solo.ticks_per_bar)
        for t in range(0, solo.bar_count * solo.ticks_per_bar, 24):
            truth = chord_at(solo.chords, t)
            if not truth.is_nc:
                guess = chord_at(inferred, t)
                total += 1
                right += (guess.root, guess.quality) == (truth.root, truth.quality)
    return right / total


def block_chords(solo):
    notes = []
    for span in solo.chords:
        if not span.chord.is_nc:
            root = span.chord.bass if span.chord.bass is not None else span.chord.root
            notes.append((span.start, span.end, 36 + root))
            notes += [(span.start, span.end, 60 + pc) for pc in chord_tones(span.chord)]
    return notes


def our_band(solo):
    perf = perform(solo, EXACT)
    return [(n.start // 40, n.end // 40, n.pitch) for n in perf.notes if n.part != "solo"]


def test_block_chords_are_read_back(solos):
    assert accuracy(solos, block_chords) >= 0.9          # measured 0.97 on 80 solos


def test_rootless_voicings_over_a_walking_bass(solos):
    assert accuracy(solos, our_band) >= 0.45             # measured 0.55 (root right: 0.64)

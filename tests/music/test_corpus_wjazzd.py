"""Checks on the real WJazzD corpus (skipped when the shared corpora are absent)."""

import os
from pathlib import Path

import pytest

from studio.music.encoding import decode_tokens, encode_solo, jazz_vocab_tokens
from studio.music.metrics import corpus_metrics
from studio.music.corpus.wjazzd import load_wjazzd

pytestmark = pytest.mark.corpus


def jazz_folder() -> Path | None:
    roots = []
    if os.environ.get("SEQUENCE_STUDIO_CORPORA"):
        roots.append(Path(os.environ["SEQUENCE_STUDIO_CORPORA"]))
    roots.append(Path(__file__).resolve().parents[2].parent / "shared" / "corpora")
    for root in roots:
        if (root / "jazz" / "index.csv").is_file():
            return root / "jazz"
    return None


@pytest.fixture(scope="module")
def few_solos():
    folder = jazz_folder()
    if folder is None:
        pytest.skip("WJazzD corpus not found: set SEQUENCE_STUDIO_CORPORA or put it in "
                    "../shared/corpora/jazz next to the repository")
    solos, files = load_wjazzd(folder, limit=12)
    assert all(f.status == "ok" for f in files), [f for f in files if f.status != "ok"]
    return solos


def test_real_solos_round_trip(few_solos):
    vocab = set(jazz_vocab_tokens())
    for solo in few_solos:
        if solo.beats_per_bar != 4:
            continue
        tokens = encode_solo(solo)
        assert set(tokens) <= vocab
        back = decode_tokens(tokens, tempo=solo.tempo)
        assert len(back.notes) == len(solo.notes)
        assert [n.start for n in back.notes] == [n.start for n in solo.notes]
        assert [n.pitch % 12 for n in back.notes] == [n.pitch % 12 for n in solo.notes]
        assert decode_tokens(encode_solo(back)).notes == back.notes    # stable after one pass
        assert back.chords[0].start == 0 and back.chords[-1].end >= solo.notes[-1].start


def test_real_solos_are_mostly_chord_tones(few_solos):
    share = corpus_metrics(few_solos)["chord_tone_share"]
    assert 0.4 < share < 0.9

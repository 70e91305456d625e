"""The discriminator on the real WJazzD test split (skipped when the shared corpora are absent):
the human side is 19 solos of 19 tunes never trained on, and players against players is chance."""

import numpy as np
import pytest

from studio.music.analysis import discriminate as disc
from studio.music.analysis.discriminate_report import human_solos
from studio.music.analysis.phrase_features import cut_phrases
from studio.music.corpus.dataset import load_jazz_corpus
from studio.music.corpus.splits import holdout, tune_of

from .test_corpus_wjazzd import jazz_folder

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def corpus():
    found = jazz_folder()
    if found is None:
        pytest.skip("WJazzD corpus not found: set SEQUENCE_STUDIO_CORPORA or put it in "
                    "../shared/corpora/jazz next to the repository")
    return load_jazz_corpus(found)


def test_the_human_side_is_the_test_split(corpus):
    solos, which = human_solos(corpus, held_out=None)
    assert len(solos) == 19 and len({tune_of(s.title) for s in solos}) == 19
    assert which == "the test split: 19 solos of 19 tunes never trained on"
    trained = {tune_of(s.title) for s in holdout(corpus.solos, 0.1).train}
    assert not trained & {tune_of(s.title) for s in solos}
    assert human_solos(corpus, held_out=False)[0] == solos


def test_players_against_players_is_chance(corpus):
    solos, _ = human_solos(corpus, held_out=None)
    rng = np.random.default_rng(0)
    phrases = [p for s in solos for p in cut_phrases(s, tune_of(s.title), 0, 48)]
    for p in phrases:
        p.label = int(rng.integers(0, 2))
    y = np.array([p.label for p in phrases])
    fig = disc.figure(y, disc.linear_scores(disc.feature_matrix(phrases), y, phrases),
                      [p.group for p in phrases], n=300)
    assert len(phrases) > 150 and fig["ci95"][0] <= 0.5 <= fig["ci95"][1]

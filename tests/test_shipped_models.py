"""The shipped generators load and generate; with ../shared present, their recorded
validation numbers are re-measured on the real corpora (marked `corpus`)."""

import pytest

from studio.core.checkpoint import load_checkpoint
from studio.core.library import list_models
from studio.core.sampler import SampleSettings
from studio.paths import corpora_dir

SHIPPED = [m for m in list_models() if m.shipped]
CORPUS = {"names": "dinos.txt", "text": "tinyshakespeare.txt", "jazz": "jazz"}


def test_models_folder_has_a_card_for_every_model():
    for m in SHIPPED:
        assert m.card is not None, f"{m.path.name} has no model card"


@pytest.mark.parametrize("entry", SHIPPED, ids=[m.path.stem for m in SHIPPED])
def test_shipped_model_generates(entry):
    ck = load_checkpoint(entry.path)
    if ck.domain == "jazz":
        from studio.music.chart import PRESETS
        from studio.music.generate import JazzSettings, generate_solo, take_is_well_formed

        take = generate_solo(ck, PRESETS["ii-V-I cycle"], JazzSettings(seed=1))
        assert not take_is_well_formed(take) and take.solo.notes
    else:
        from studio.core.generate import generate_texts

        rows = generate_texts(ck, "", SampleSettings(count=8, seed=1, max_length=60, temperature=0.8))
        assert all(rows) and len(rows) == 8


@pytest.mark.corpus
@pytest.mark.parametrize("entry", SHIPPED, ids=[m.path.stem for m in SHIPPED])
def test_recorded_validation_number_holds(entry):
    root = corpora_dir()
    if root is None:
        pytest.skip("../shared/corpora is not here (set SEQUENCE_STUDIO_CORPORA to run this)")
    from studio.core.evaluate import evaluate

    ck = load_checkpoint(entry.path)
    out = evaluate(ck, root / CORPUS[ck.domain], samples=50, choruses=1)
    assert out["same_corpus_as_training"]
    assert out["val_nll"] == pytest.approx(ck.meta["metrics"]["val_nll"], abs=2e-3)

"""The shipped generators load and generate."""

import pytest

from studio.core.checkpoint import load_checkpoint
from studio.core.library import list_models
from studio.core.sampler import SampleSettings

SHIPPED = [m for m in list_models() if m.shipped]


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


# The recorded validation numbers (and every other card figure) are re-measured on the real
# corpora by tests/test_model_cards.py.

"""The jazz path on a GPU: the grammar (a real constraint, one-step blocks) through the CUDA
graph gives the same, well-formed takes as the same steps run eagerly. Skipped without CUDA
(run with STUDIO_TEST_DEVICE=cuda on a GPU machine)."""

import pytest
import torch

from studio.core.checkpoint import load_checkpoint
from studio.music.chart import PRESETS
from studio.music.generate import JazzSettings, generate_takes, take_is_well_formed
from studio.paths import shipped_models_dir

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@pytest.mark.parametrize("model", ["jazz-lstm", "jazz-gru"])
def test_graph_takes_equal_eager_takes_and_are_well_formed(model, monkeypatch):
    ckpt = load_checkpoint(shipped_models_dir() / f"{model}.safetensors", device="cuda")
    # one temperature for the whole line and no licks: a CUDA graph takes no token classes
    # (device_sampler.graph_capable) and no per-step bias (sampler.sample_stream); the tuned
    # default (pitch 0.65, rhythm 1.0, licks) runs eagerly
    settings = JazzSettings(seed=5, choruses=2, count=3, top_p=0.95, pitch_temperature=1.0,
                            rhythm_temperature=1.0, licks=0.0)
    monkeypatch.setenv("STUDIO_CUDA_GRAPHS", "1")
    graph = generate_takes(ckpt, PRESETS["Bb blues"], settings)
    assert ckpt.model.__dict__["_block_runner"][1].graph is not None  # it was captured
    monkeypatch.setenv("STUDIO_CUDA_GRAPHS", "0")
    eager = generate_takes(ckpt, PRESETS["Bb blues"], settings)
    assert [t.tokens for t in graph] == [t.tokens for t in eager]
    for take in graph:
        assert take_is_well_formed(take) == [] and take.tokens[-1] == "<end>"
    assert len({tuple(t.tokens) for t in graph}) == 3  # the rows drew apart

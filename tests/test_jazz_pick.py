"""training/jazz_pick.py writes a GPU sweep's winning settings into a shipped recipe."""

import importlib.util
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("jazz_pick", ROOT / "training" / "jazz_pick.py")
jazz_pick = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(jazz_pick)

RECIPE = """# a recipe
[corpus]
kind = "jazz"
path = "../shared/corpora/jazz"   # WJazzD

[model]
cell = "gru"
hidden = 256
dropout = 0.2   # kept comment

[train]
lr = 0.003
batch_size = 32
epochs = 12
device = "auto"

[output]
name = "jazz-gru"
"""


def test_the_sweep_settings_go_into_the_recipe_and_nothing_else_changes():
    tc = {"cell": "gru", "hidden": 256, "dropout": 0.3, "lr": 0.004, "batch_size": 64, "epochs": 60,
          "warmup": 100, "precision": "fp32", "half_weights": True, "device": "cuda", "name": "x",
          "min_lr_ratio": 0.1}  # TrainConfig's default: no line for it
    text, changes = jazz_pick.update_recipe(RECIPE, tc)
    data = tomllib.loads(text)
    assert data["model"] == {"cell": "gru", "hidden": 256, "dropout": 0.3}
    assert data["train"] == {"lr": 0.004, "batch_size": 64, "epochs": 60, "device": "auto",
                             "warmup": 100, "precision": "fp32"}
    assert data["output"] == {"name": "jazz-gru", "half_weights": True}
    assert data["corpus"]["path"] == "../shared/corpora/jazz"
    assert "dropout = 0.3   # kept comment" in text and "# WJazzD" in text
    assert "dropout: 0.2 -> 0.3" in changes and "warmup: (recipe default) -> 100" in changes
    assert jazz_pick.update_recipe(text, tc) == (text, [])   # a second pass changes nothing
    # ... and the written recipe gives every setting, the default left out included
    assert jazz_pick.settings_not_given(text, tc) == {}
    assert jazz_pick.settings_not_given(RECIPE, tc) == {"dropout": 0.2, "lr": 0.003, "batch_size": 32,
                                                        "epochs": 12, "warmup": 50, "precision": "auto",
                                                        "half_weights": False}


def test_a_model_of_another_size_is_not_shipped():
    jazz_pick.check_size(RECIPE, {"cell": "gru", "hidden": 256})
    with pytest.raises(SystemExit, match="hidden is 512"):
        jazz_pick.check_size(RECIPE, {"cell": "gru", "hidden": 512})
    with pytest.raises(SystemExit, match="cell is 'lstm'"):
        jazz_pick.check_size(RECIPE, {"cell": "lstm", "hidden": 256})

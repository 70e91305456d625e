"""Issue 23, an unguarded behaviour: every model trained under a name the library has
already gets the next free one (dino, dino-2, dino-3 ...); the third must not overwrite the
second's file, nor the fourth the third's, and each says the name it got."""

import pytest

from studio.cli import main
from studio.core.checkpoint import load_checkpoint
from studio.core.library import free_model_path, unique_name


@pytest.mark.timeout(120)
def test_each_run_under_a_taken_name_gets_the_next_free_file(names_file, capsys, restore_signals):
    from studio.paths import user_models_dir

    kept = {}
    for n, stem in enumerate(["dino", "dino-2", "dino-3", "dino-4"], start=1):
        assert main(["train", "--corpus", str(names_file), "--kind", "names", "--name", "dino",
                     "--hidden", "16", "--layers", "1", "--max-steps", "2", "--eval-every", "2",
                     "--seed", str(n)]) == 0
        out = capsys.readouterr().out
        path = user_models_dir() / f"{stem}.safetensors"
        assert f"{stem}.safetensors" in out, out
        kept[path] = path.read_bytes()
        assert load_checkpoint(path).name == stem
        for earlier, data in kept.items():          # no earlier model touched
            assert earlier.read_bytes() == data, earlier
    assert len(set(kept.values())) == 4
    assert sorted(p.name for p in user_models_dir().glob("dino*.safetensors")
                  if ".last." not in p.name) == sorted(p.name for p in kept)


def test_free_model_path_and_unique_name_skip_every_taken_one(tmp_path):
    from studio.core.library import ModelEntry

    for stem in ["m", "m-2", "m-3"]:
        (tmp_path / f"{stem}.safetensors").write_bytes(b"x")
    (tmp_path / "m-4.last.safetensors").write_bytes(b"x")  # a resume file holds its name too
    assert free_model_path(tmp_path, "m") == tmp_path / "m-5.safetensors"
    entries = [ModelEntry(tmp_path / f"{s}.safetensors", s, False, {}) for s in ["m", "m-2", "m-3"]]
    assert unique_name("m", entries) == "m-4"
    assert unique_name("n", entries) == "n"

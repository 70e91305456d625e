"""Issue 23 item 3(c): `sample MODEL --out LIB/model.safetensors` wrote MIDI over the model;
--out, --wav and --xml never checked for an existing file and followed symlinks. Now each
is written atomically, kept unless --force, and a model is never replaced by a take."""

import shutil

import pytest

from studio.cli import main
from studio.core.checkpoint import load_checkpoint
from studio.paths import shipped_models_dir, user_models_dir

CHART = "| C7 |"


def _sample(*flags):
    return main(["sample", "jazz-gru", "--chart", CHART, "--seed", "1", *flags])


@pytest.mark.timeout(120)
def test_a_take_never_replaces_a_model(capsys):
    model = user_models_dir() / "mine.safetensors"
    shutil.copyfile(shipped_models_dir() / "jazz-gru.safetensors", model)
    before = model.read_bytes()
    for flags in ([], ["--force"]):
        assert _sample("--out", str(model), *flags) == 2
        err = capsys.readouterr().err
        assert "is a Sequence Studio model: a take is never written over a model" in err, err
        assert "Traceback" not in err
    assert model.read_bytes() == before
    load_checkpoint(model)


@pytest.mark.timeout(120)
def test_existing_takes_are_kept_unless_force(tmp_path, capsys):
    mid, wav, xml = tmp_path / "a.mid", tmp_path / "a.wav", tmp_path / "a.musicxml"
    for path in (mid, wav, xml):
        path.write_bytes(b"mine")
        flag = {".mid": "--out", ".wav": "--wav", ".musicxml": "--xml"}[path.suffix]
        assert _sample(flag, str(path)) == 2
        err = capsys.readouterr().err
        assert f"{path} already exists; add --force" in err and "Traceback" not in err
        assert path.read_bytes() == b"mine"
    assert _sample("--out", str(mid), "--wav", str(wav), "--xml", str(xml), "--force") == 0
    assert mid.read_bytes()[:4] == b"MThd" and wav.read_bytes()[:4] == b"RIFF"
    assert b"<score-partwise" in xml.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mid", "a.musicxml", "a.wav"]


@pytest.mark.timeout(120)
def test_out_through_a_symlink_replaces_the_link_not_its_target(tmp_path, capsys):
    target = tmp_path / "notes.txt"
    target.write_bytes(b"my notes")
    link = tmp_path / "take.mid"
    link.symlink_to(target)
    assert _sample("--out", str(link)) == 2
    assert target.read_bytes() == b"my notes"
    assert _sample("--out", str(link), "--force") == 0
    assert target.read_bytes() == b"my notes" and not link.is_symlink()
    assert link.read_bytes()[:4] == b"MThd"

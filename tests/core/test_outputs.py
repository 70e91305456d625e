"""Issue 23 items 3 and 6: no user file (model, resume file, take) is replaced without
--force, two runs given the same --out cannot both write it, a resumed run cannot replace
another model, every write is atomic, and a folder that cannot be written is reported
before any work starts, in plain words (EROFS, EDQUOT), never as a traceback."""

import errno
import os

import pytest
import torch

from studio.cli import main
from studio.core import checkpoint as C
from studio.core import outputs
from studio.core.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from studio.core.net import NetConfig, SequenceNet
from studio.core.outputs import OutputClaim, OutputError, write_file
from studio.core.vocab import Vocab
from studio.paths import user_models_dir


def _model(path, name="m", tokens="abcdefghijklmnopqrstuvwxyz"):
    torch.manual_seed(0)
    vocab = Vocab.from_text(tokens)
    net = SequenceNet(NetConfig(cell="gru", vocab_size=len(vocab), layers=1, hidden=16, embedding=8))
    save_checkpoint(path, net, vocab, {"domain": "names", "name": name, "encoding": "char-v1"})
    return path


def _train(corpus, *flags):
    return main(["train", "--corpus", str(corpus), "--kind", "names", "--hidden", "16", "--layers",
                 "1", "--max-steps", "2", "--eval-every", "2", *flags])


def _no_traceback(capsys, *words):
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    for w in words:
        assert w in err, err
    return err


# -- the claim itself ---------------------------------------------------------------------

def test_write_file_keeps_an_existing_file_and_replaces_it_with_force(tmp_path):
    path = tmp_path / "take.mid"
    path.write_bytes(b"mine")
    with pytest.raises(FileExistsError, match="add --force"):
        write_file(path, lambda tmp: tmp.write_bytes(b"new"))
    assert path.read_bytes() == b"mine"
    write_file(path, lambda tmp: tmp.write_bytes(b"new"), force=True)
    assert path.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["take.mid"]  # no temp, no lock left


def test_a_symlink_is_replaced_not_followed(tmp_path):
    target = tmp_path / "precious.txt"
    target.write_bytes(b"precious")
    link = tmp_path / "take.mid"
    link.symlink_to(target)
    with pytest.raises(FileExistsError):
        write_file(link, lambda tmp: tmp.write_bytes(b"midi"))
    dangling = tmp_path / "gone.mid"
    dangling.symlink_to(tmp_path / "nowhere")
    with pytest.raises(FileExistsError):  # a dangling link exists too
        write_file(dangling, lambda tmp: tmp.write_bytes(b"midi"))
    write_file(link, lambda tmp: tmp.write_bytes(b"midi"), force=True)
    assert target.read_bytes() == b"precious" and not link.is_symlink()
    assert link.read_bytes() == b"midi"


def test_a_model_is_never_replaced_by_a_take_even_with_force(tmp_path):
    model = _model(tmp_path / "m.safetensors")
    before = model.read_bytes()
    for force in (False, True):
        with pytest.raises(OutputError, match="is a Sequence Studio model: a take is never written"):
            write_file(model, lambda tmp: tmp.write_bytes(b"MThd"), force=force)
    assert model.read_bytes() == before


def test_a_model_is_told_from_a_take_that_names_the_app(tmp_path):
    """A model (whole, or cut inside its header) is a model; a MIDI take that carries the
    words "sequence-studio" (its written notes) is not, so --force may replace it."""
    from studio.core.outputs import is_model_file
    from studio.music.notation.midi_file import SCORE_TAG

    model = _model(tmp_path / "m.safetensors")
    data = model.read_bytes()
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(data[:data.index(b"sequence-studio") + 20])    # cut inside its header
    take = tmp_path / "take.mid"
    take.write_bytes(b"MThd\x00\x00\x00\x06\x00\x01\x00\x03\x01\xe0MTrk" + SCORE_TAG + b"[]")
    assert is_model_file(model) and is_model_file(cut)
    assert not is_model_file(take)
    write_file(take, lambda tmp: tmp.write_bytes(b"MThd again"), force=True)
    assert take.read_bytes() == b"MThd again"


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path):
    path = tmp_path / "take.wav"
    path.write_bytes(b"old")

    def fail(tmp):
        tmp.write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")
    with pytest.raises(OutputError, match="cannot write .*take.wav: the disk is full; nothing was overwritten"):
        write_file(path, fail, force=True)
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["take.wav"]


def test_one_writer_per_path(tmp_path):
    path = tmp_path / "m.safetensors"
    with OutputClaim(path, model=True):
        with pytest.raises(OutputError, match="another Sequence Studio command is writing"):
            OutputClaim(path, model=True).__enter__()
    with OutputClaim(path, model=True):  # released: free again
        pass


def test_stale_temps_of_a_killed_writer_are_removed(tmp_path):
    stale = tmp_path / ".take.mid.x1y2.tmp.mid"
    stale.write_bytes(b"half")
    write_file(tmp_path / "take.mid", lambda tmp: tmp.write_bytes(b"MThd"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["take.mid"]


@pytest.mark.parametrize("code,words", [(errno.EROFS, "the file system is read-only"),
                                        (errno.EDQUOT, "the disk quota is used up"),
                                        (errno.ENOSPC, "the disk is full")])
def test_an_unwritable_folder_is_refused_at_the_claim(tmp_path, monkeypatch, code, words):
    real_open = os.open

    def refusing(path, *a, **k):
        if str(path).startswith(str(tmp_path / "ro")):
            raise OSError(code, os.strerror(code), str(path))
        return real_open(path, *a, **k)
    (tmp_path / "ro").mkdir()
    monkeypatch.setattr(outputs.os, "open", refusing)
    with pytest.raises(OutputError, match=f"cannot write .*m.safetensors: {words}; nothing was started"):
        OutputClaim(tmp_path / "ro" / "m.safetensors", model=True).__enter__()


def test_a_checkpoint_save_into_a_read_only_folder_is_a_checkpoint_error(tmp_path, monkeypatch):
    """The temp file was made outside the guarded block: a bare OSError traceback."""
    def read_only(*a, **k):
        raise OSError(errno.EROFS, "Read-only file system")
    monkeypatch.setattr(C.tempfile, "mkstemp", read_only)
    with pytest.raises(CheckpointError, match="the file system is read-only; the previous file"):
        _model(tmp_path / "m.safetensors")


def test_export_keeps_an_existing_file_unless_force(tmp_path):
    from studio.core.library import export_model, list_models

    _model(user_models_dir() / "m.safetensors")
    entry = next(m for m in list_models() if m.name == "m")
    dest = tmp_path / "out.safetensors"
    dest.write_bytes(b"mine")
    with pytest.raises(FileExistsError):
        export_model(entry, dest)
    assert dest.read_bytes() == b"mine"
    assert export_model(entry, dest, force=True).read_bytes() == entry.path.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.safetensors"]


# -- through the train verb ---------------------------------------------------------------

@pytest.mark.timeout(120)
def test_resume_cannot_replace_another_model_or_its_resume_file(tmp_path, names_file, capsys,
                                                                restore_signals):
    run = tmp_path / "run.safetensors"
    assert _train(names_file, "--out", str(run)) == 0
    keep = user_models_dir() / "keepme.safetensors"
    _model(keep, "keepme", tokens="xyz")
    keep_resume = keep.with_name("keepme.last.safetensors")
    keep_resume.write_bytes(b"its resume file")
    before = keep.read_bytes()
    capsys.readouterr()
    resume = str(tmp_path / "run.last.safetensors")
    assert _train(names_file, "--resume", resume, "--out", str(keep), "--max-steps", "4") == 2
    _no_traceback(capsys, "keepme.safetensors already exists", "--force")
    assert keep.read_bytes() == before and keep_resume.read_bytes() == b"its resume file"
    # its own files: a resume continues without --force (best model and resume file)
    assert _train(names_file, "--resume", resume, "--max-steps", "4") == 0
    assert load_checkpoint(run).meta["metrics"]["steps"] == 4


@pytest.mark.timeout(120)
def test_a_second_run_on_the_same_out_is_refused_while_the_first_writes(tmp_path, names_file,
                                                                         capsys, restore_signals):
    out = tmp_path / "m.safetensors"
    with OutputClaim(out, model=True):  # the first run, still training
        assert _train(names_file, "--out", str(out)) == 2
        _no_traceback(capsys, "another Sequence Studio command is writing", "m.safetensors")
        assert _train(names_file, "--out", str(out), "--force") == 2  # --force does not barge in
    assert not out.exists()
    assert _train(names_file, "--out", str(out)) == 0  # once it is done
    assert _train(names_file, "--out", str(out)) == 2  # and then the file is there
    _no_traceback(capsys, "already exists")


@pytest.mark.timeout(120)
def test_train_into_a_read_only_folder_stops_before_reading_the_corpus(tmp_path, names_file,
                                                                        capsys, monkeypatch,
                                                                        restore_signals):
    folder = tmp_path / "ro"
    folder.mkdir()
    real_open = os.open

    def refusing(path, *a, **k):
        if str(path).startswith(str(folder)):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_open(path, *a, **k)
    monkeypatch.setattr(outputs.os, "open", refusing)
    read = []
    from studio.core import data

    real_load = data.load_corpus
    monkeypatch.setattr(data, "load_corpus", lambda *a, **k: read.append(1) or real_load(*a, **k))
    assert _train(names_file, "--out", str(folder / "m.safetensors"), "--max-steps", "50") == 2
    _no_traceback(capsys, "the file system is read-only", "nothing was started")
    assert read == []  # refused before the corpus was read, let alone trained on


def test_import_into_a_read_only_library_is_one_line(tmp_path, monkeypatch, capsys):
    from studio.core import library

    src = _model(tmp_path / "m.safetensors")

    def read_only(*a, **k):
        raise OSError(errno.EROFS, "Read-only file system")
    monkeypatch.setattr(library.tempfile, "mkstemp", read_only)
    assert main(["models", "--import", str(src)]) == 2
    _no_traceback(capsys, f"cannot write {user_models_dir()}: the file system is read-only; "
                          "nothing was imported")

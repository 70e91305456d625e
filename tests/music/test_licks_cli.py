"""Licks end to end: a trained jazz model carries its corpus's lick vocabulary, `sample
--licks` uses it (and refuses a bad value in one line), the shipped models find the
shipped vocabulary, which is what mining WJazzD's training split gives (corpus test)."""

import json

import pytest

from studio.cli import main
from studio.core.checkpoint import load_checkpoint
from studio.music.licks import LickVocabulary, licks_for
from studio.paths import corpora_dir, shipped_models_dir

CHART = "| Dm7 | G7 | Cmaj7 | % |"


@pytest.fixture
def model(tmp_path, make_midi, capsys, restore_signals):
    corpus = tmp_path / "players"
    corpus.mkdir()
    for i in range(6):   # six players, one tune each, the same figure in six keys
        notes = [(b / 2, 0.5, 60 + (b * 5 + i) % 12) for b in range(64)]
        make_midi(corpus / f"Player{i}_tune.mid", [{"notes": notes, "texts": [(0, "Dm7"), (4, "G7")]}])
    out = tmp_path / "m.safetensors"
    assert main(["train", "--corpus", str(corpus), "--kind", "jazz", "--max-steps", "2", "--hidden", "16",
                 "--layers", "1", "--batch", "4", "--window", "64", "--out", str(out), "--jsonl"]) == 0
    capsys.readouterr()
    return out, corpus


def test_a_trained_model_carries_its_training_players_licks(model, capsys):
    path, corpus = model
    ck = load_checkpoint(path)
    carried = LickVocabulary.from_checkpoint(ck)
    mined = LickVocabulary.mine_corpus(corpus, val_fraction=0.1)
    assert carried is not None and carried.patterns == mined.patterns and carried.patterns
    assert carried.corpus_sha256 == ck.meta["corpus"]["sha256"] == mined.corpus_sha256
    assert licks_for(ck).patterns == mined.patterns

    assert main(["sample", str(path), "--chart", CHART, "--seed", "1", "--licks", "0.6", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    assert row["settings"]["licks"] == 0.6 and row["licks"] == f"0.6 ({len(mined.patterns)} shared patterns)"
    assert main(["sample", str(path), "--chart", CHART, "--licks", "1.5"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("licks must be between 0 (off) and 1, not 1.5") and "\n" not in err


@pytest.mark.parametrize("name", ["jazz-gru", "jazz-lstm"])
def test_the_shipped_models_find_the_shipped_vocabulary(name):
    ck = load_checkpoint(shipped_models_dir() / f"{name}.safetensors")
    vocab = licks_for(ck)
    assert vocab is not None and vocab.matches(ck.meta["corpus"]["sha256"], 0.1)
    assert len(vocab.patterns) > 10_000 and vocab.min_players == 3


@pytest.mark.corpus
def test_the_shipped_vocabulary_is_what_mining_the_training_split_gives():
    root = corpora_dir()
    if root is None:
        pytest.skip("../shared/corpora is not here (set SEQUENCE_STUDIO_CORPORA to run this)")
    shipped = LickVocabulary.load(shipped_models_dir() / "jazz-licks.json")
    mined = LickVocabulary.mine_corpus(root / "jazz", val_fraction=0.1)
    assert shipped.patterns == mined.patterns and shipped.corpus_sha256 == mined.corpus_sha256
    assert (shipped.solos, shipped.players) == (364, 74)


def test_lick_sweep_stores_a_tuned_strength_and_keeps_the_rest_of_the_checkpoint(model):
    import importlib.util

    import torch

    from studio.paths import shipped_models_dir  # noqa: F401 (the script resolves names there)

    root = __import__("pathlib").Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("lick_sweep", root / "training" / "lick_sweep.py")
    sweep = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sweep)
    path, _ = model
    before = load_checkpoint(path)
    assert sweep.main(["--store", f"{path}=0.45"]) == 0
    after = load_checkpoint(path)
    assert after.meta["sampling"] == {"licks": 0.45}
    assert {k: v for k, v in after.meta.items() if k != "sampling"} == before.meta
    assert set(after.extras) == set(before.extras)
    for a, b in zip(after.model.parameters(), before.model.parameters()):
        assert torch.equal(a, b)
    with pytest.raises(SystemExit, match="0..1"):
        sweep.main(["--store", f"{path}=1.5"])


def test_stored_line_temperatures_are_used_unless_a_flag_is_given(model, capsys):
    """`lick_sweep --store NAME:KEY=VALUE` tunes the pitch and rhythm temperature per model;
    `sample` without the flags plays them (the same take as with them given explicitly, not
    the module defaults'), and a flag wins over the stored value."""
    import importlib.util
    from pathlib import Path

    from studio.music.generate import PITCH_TEMPERATURE, RHYTHM_TEMPERATURE

    spec = importlib.util.spec_from_file_location(
        "lick_sweep", Path(__file__).resolve().parents[2] / "training" / "lick_sweep.py")
    sweep = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sweep)
    path, _ = model

    def take(*flags):
        assert main(["sample", str(path), "--chart", CHART, "--seed", "3", "--choruses", "4", "--json",
                     "--licks", "0", "--out", str(path.parent / "t.mid"), "--force", *flags]) == 0
        row = json.loads(capsys.readouterr().out)[0]
        return row, (path.parent / "t.mid").read_bytes()

    defaults = take("--pitch-temperature", str(PITCH_TEMPERATURE), "--rhythm-temperature", str(RHYTHM_TEMPERATURE))
    assert sweep.main(["--store", f"{path}:pitch_temperature=0.3", f"{path}:rhythm_temperature=1.8"]) == 0
    capsys.readouterr()
    assert load_checkpoint(path).meta["sampling"] == {"pitch_temperature": 0.3, "rhythm_temperature": 1.8}
    stored, stored_midi = take()
    explicit, explicit_midi = take("--pitch-temperature", "0.3", "--rhythm-temperature", "1.8")
    assert (stored["settings"]["pitch_temperature"], stored["settings"]["rhythm_temperature"]) == (0.3, 1.8)
    assert stored == explicit and stored_midi == explicit_midi
    assert stored_midi != defaults[1]                        # the test can tell the two apart
    flagged, _ = take("--pitch-temperature", "0.9")          # a flag wins; the other stays tuned
    assert (flagged["settings"]["pitch_temperature"], flagged["settings"]["rhythm_temperature"]) == (0.9, 1.8)
    with pytest.raises(SystemExit, match="0..5"):
        sweep.main(["--store", f"{path}:rhythm_temperature=7"])
    with pytest.raises(SystemExit, match="not tuned per model"):
        sweep.main(["--store", f"{path}:top_p=0.5"])


def test_lick_sweep_fits_and_stores_the_interval_calibration_and_sample_plays_it(model, capsys):
    """`lick_sweep --fit-intervals` fits the offsets on the validation solo and stores them
    (weights and the rest of meta untouched); `sample` then plays them and says so."""
    import importlib.util
    from pathlib import Path

    import torch

    from studio.music.line_bias import CLASSES, stored_offsets

    spec = importlib.util.spec_from_file_location(
        "lick_sweep", Path(__file__).resolve().parents[2] / "training" / "lick_sweep.py")
    sweep = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sweep)
    path, corpus = model
    before = load_checkpoint(path)
    assert main(["sample", str(path), "--chart", CHART, "--seed", "2", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["intervals"] == "off"
    assert sweep.main(["--fit-intervals", str(path), "--corpus", str(corpus)]) == 0
    assert "| unison |" in capsys.readouterr().out
    after = load_checkpoint(path)
    offsets = stored_offsets(after.meta)
    assert offsets is not None and len(offsets) == CLASSES and any(offsets)
    assert {k: v for k, v in after.meta.items() if k != "sampling"} == before.meta
    for a, b in zip(after.model.parameters(), before.model.parameters()):
        assert torch.equal(a, b)
    assert main(["sample", str(path), "--chart", CHART, "--seed", "2", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["intervals"].startswith("unison x")

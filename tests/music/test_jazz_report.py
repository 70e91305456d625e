import json

import pytest
import torch

from studio.music.chart import chart_to_spans
from studio.music.encoding import jazz_vocab_tokens
from studio.music.generate import JazzSettings, generate_over, take_is_well_formed
from studio.music.corpus.dataset import load_jazz_corpus
from studio.music.analysis.jazz_report import format_report, held_out_solos, jazz_report
from studio.music.types import Note, Solo

pytest.importorskip("studio.core.checkpoint", reason="engine (studio.core) not present yet")
from studio.core.checkpoint import Checkpoint  # noqa: E402
from studio.core.net import NetConfig, SequenceNet  # noqa: E402
from studio.core.vocab import Vocab  # noqa: E402


def tiny(meta=None):
    torch.manual_seed(0)
    vocab = Vocab.from_tokens(jazz_vocab_tokens(), kind="event")
    net = SequenceNet(NetConfig(cell="gru", vocab_size=len(vocab), layers=1, hidden=16, embedding=8))
    return Checkpoint(model=net, vocab=vocab, meta=meta or {"domain": "jazz", "name": "tiny"})


def folder(tmp_path, make_midi, n=4, shift=0):
    tmp_path.mkdir(exist_ok=True)
    for i in range(n):
        make_midi(tmp_path / f"Player{i % 2}_tune{i}.mid",
                  [{"notes": [(b / 2, 0.5, 60 + (b * 5 + i + shift) % 14) for b in range(32)],
                    "texts": [(0, "C7"), (8, "F7")]}], tempo_bpm=100 + 60 * i)
    return tmp_path


def test_take_over_a_solo_follows_its_changes_tempo_and_form():
    spans = chart_to_spans("| Dm7 | G7 | Cmaj7 | A7 | Dm7 G7 | C6 |")
    solo = Solo("Human_x", [Note(0, 12, 62)], spans, tempo=230, chorus_starts=[0, 3])
    take = generate_over(tiny(), solo, JazzSettings(seed=2))[0]
    assert take_is_well_formed(take) == []
    assert take.bars == 6 and take.solo.chords == spans
    assert [t for t in take.tokens if t.startswith("TEMPO_")] == ["TEMPO_200"] * 6
    assert [t for t in take.tokens if t.startswith("FORM_")] == ["FORM_0", "FORM_1", "FORM_2"] * 2


def test_report_holds_out_a_foreign_folder_whole(tmp_path, make_midi):
    human_dir = folder(tmp_path / "human", make_midi)
    train_dir = folder(tmp_path / "train", make_midi, n=6, shift=3)
    ck = tiny({"domain": "jazz", "name": "tiny", "corpus": {"sha256": "another corpus"},
               "train_config": {"val_fraction": 0.1}})
    report = jazz_report(human_dir, ck=ck, train_corpus=train_dir, seed=1)
    json.dumps(report)
    assert report["human_held_out"] == "whole folder" and report["human_solos"] == 4
    model, human = report["model_side"], report["human_side"]
    # one take per human solo, over the same bars
    assert model["solos"] == human["solos"] == 4 and model["bars"] == human["bars"]
    assert set(human["notes_per_bar"]) == {"< 140 bpm", "140-199 bpm", ">= 200 bpm"}
    assert human["notes_per_bar"]["< 140 bpm"] == pytest.approx(8.0)     # 32 eighths in 2 bars
    assert human["idiom_share"] is not None and "longest_copy_max" in model
    text = format_report(report)
    assert "notes per bar, >= 200 bpm" in text and "idiom share" in text


def test_the_training_corpus_gives_its_validation_split(tmp_path, make_midi):
    corpus = load_jazz_corpus(folder(tmp_path, make_midi, n=6))
    meta = {"corpus": {"sha256": corpus.sha256}, "train_config": {"val_fraction": 0.1}}
    # six solos split by solo: no test part, so reporting falls back to validation, saying so
    solos, whole, words = held_out_solos(corpus, meta)
    assert not whole and 1 <= len(solos) < 6 and "no test part" in words
    assert held_out_solos(corpus, meta, "val")[:2] == (solos, False)
    with pytest.raises(ValueError, match="no test part"):
        held_out_solos(corpus, meta, "test")
    assert held_out_solos(corpus, meta, held_out=True)[:2] == (corpus.solos, True)


def test_a_folder_of_takes_is_measured_as_its_files_play(tmp_path, make_midi):
    from studio.music.perform.feel import Feel
    from studio.music.notation.midi_file import write_midi
    human_dir = folder(tmp_path / "human", make_midi)    # straight eighths at 100 ... 280 bpm
    takes = tmp_path / "takes"
    for i, (tempo, ratio) in enumerate([(120, 1.6), (130, 1.6), (230, 1.2)]):
        line = [Note(t, 6, 60 + (t // 6) % 7) for t in range(0, 8 * 48 - 12, 6)]
        solo = Solo(f"take{i}", line, chart_to_spans("| C7 | F7 |" * 4), tempo=tempo)
        write_midi(solo, takes / f"take{i}.mid", feel=Feel(ratio, humanize=0))
    report = jazz_report(human_dir, takes_folder=takes, train_corpus=human_dir, held_out=True)
    swing = report["model_side"]["swing_ratio"]
    # the ratios the files were written with, not the renderer's for the tempo
    assert swing["< 140 bpm"] == pytest.approx(1.6, abs=0.02)
    assert swing[">= 200 bpm"] == pytest.approx(1.2, abs=0.02)
    assert swing["140-199 bpm"] is None
    assert report["human_side"]["swing_ratio"]["< 140 bpm"] == pytest.approx(1.0, abs=0.01)
    played, human = report["model_side"], report["human_side"]
    assert played["detached_share"] == 0.0           # the files' eighths are written legato
    assert set(played["pair_ratio"].values()) == {None}    # a MIDI file has no beat divisions
    assert 0 < played["velocity_pitch_correlation"] <= 1
    assert human["detached_share"] == 0.0 and human["velocity_pitch_correlation"] is None
    text = format_report(report)
    assert "notes held under 60% of their IOI" in text and "velocity-pitch correlation" in text
    for side in ("model_side", "human_side"):          # a report from before these figures
        for key in ("detached_share", "pair_ratio", "velocity_pitch_correlation"):
            del report[side][key]
    older = format_report(report)
    assert "notes held under" not in older and "eighth pairs" not in older and "swing ratio" in older


def test_played_figures_of_a_rendered_take_and_of_its_file(tmp_path):
    from studio.music.analysis.playing import measured_playing, playing_figures, rendered_playing
    from studio.music.notation.midi_file import write_midi
    from studio.music.perform.feel import Feel
    # a model that writes every eighth detached, at 150 bpm
    line = [Note(t, 3, 60 + (t // 6) % 9) for t in range(0, 16 * 48 - 12, 6)]
    solo = Solo("detached", line, chart_to_spans("| C7 | F7 |" * 8), tempo=150)
    rendered = playing_figures([solo], rendered_playing)
    assert rendered["detached_share"] < 0.2                   # played with the players' holds
    assert rendered["pair_ratio"]["140-199 bpm"] == pytest.approx(1.1, abs=0.15)
    write_midi(solo, tmp_path / "takes" / "detached.mid", feel=Feel(articulation="score"))
    as_file = playing_figures([solo], measured_playing(tmp_path / "takes"))
    assert as_file["detached_share"] > 0.85                   # the file as it was written


def test_the_report_prints_the_lines_figures_and_an_older_report_without_them():
    side = {"solos": 1, "bars": 2, "notes": 8, "notes_per_bar": {}, "repeated_note_share": 0.161,
            "leap_share_5": 0.069, "mean_pitch": 62.72}
    report = {"human_held_out": "validation split of the training corpus", "model": "m",
              "reference": "r", "model_side": side, "human_side": {**side, "repeated_note_share": 0.05}}
    lines = format_report(report).splitlines()
    row = next(line for line in lines if line.startswith("repeated notes, share of steps"))
    assert row.split()[-2:] == ["0.161", "0.050"]
    assert any(line.startswith("mean pitch (MIDI)") and "62.72" in line for line in lines)
    # a card's report measured before these figures: the rows are left out, not "n/a"
    old = {k: v for k, v in side.items() if k not in ("repeated_note_share", "leap_share_5", "mean_pitch")}
    text = format_report({**report, "model_side": old, "human_side": old})
    assert "repeated notes" not in text and "mean pitch" not in text and "solos / bars / notes" in text

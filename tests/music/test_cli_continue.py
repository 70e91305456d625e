"""``sample --primer take.mid --keep-bars N``: the CLI twin of the window's Continue."""

import json

import pytest

from studio.cli import main
from studio.core.checkpoint import load_checkpoint
from studio.music.continuation import continue_solo, read_take
from studio.music.generate import JazzSettings

CHART = "| Dm7 | G7 | Cmaj7 | A7 |"
SCORE = ["--swing", "straight", "--humanize", "0", "--articulation", "score",
         "--no-comping", "--no-bass"]   # the take's grid as it is, so it reads back note for note


def notes(solo, bars=None):
    return [(n.start, n.duration, n.pitch) for n in solo.notes
            if bars is None or n.start < bars * 48]


def test_keep_bars_keeps_the_takes_first_bars_and_plays_the_rest_again(jazz_model, tmp_path, capsys):
    take, new = tmp_path / "take.mid", tmp_path / "new.mid"
    assert main(["sample", str(jazz_model), "--chart", CHART, "--tempo", "132", "--seed", "4",
                 "--out", str(take), "--json", *SCORE]) == 0
    capsys.readouterr()
    assert main(["sample", str(jazz_model), "--chart", CHART, "--primer", str(take),
                 "--keep-bars", "2", "--seed", "9", "--out", str(new), "--json", *SCORE]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    assert row["kept_bars"] == 2 and row["bars"] == 4 and row["tempo"] == 132   # the take's tempo
    before, after = read_take(take), read_take(new)
    assert notes(after, 2) == notes(before, 2)
    assert notes(after) != notes(before)
    # the one function the window calls: the same seed, the same take
    ckpt = load_checkpoint(jazz_model)
    same = continue_solo(ckpt, before, 2, CHART, JazzSettings(seed=9, tempo=132))
    assert notes(after) == notes(same.solo)

    # plain text names what was kept
    assert main(["sample", str(jazz_model), "--chart", CHART, "--primer", str(take),
                 "--keep-bars", "1", "--seed", "9"]) == 0
    assert "4 bars, bar 1 kept" in capsys.readouterr().out


def test_a_swung_humanised_take_keeps_its_bars_note_for_note(jazz_model, tmp_path, capsys):
    """The default export is a performance (swing, human timing); the file carries the
    score too, so the kept bars are the take's own; a file edited since is read as played."""
    import mido

    from studio.music.corpus.midi import read_midi_solo
    from studio.music.generate import generate_solo

    take, new = tmp_path / "take.mid", tmp_path / "new.mid"
    assert main(["sample", str(jazz_model), "--chart", CHART, "--tempo", "132", "--seed", "4",
                 "--out", str(take)]) == 0
    assert main(["sample", str(jazz_model), "--chart", CHART, "--primer", str(take),
                 "--keep-bars", "2", "--seed", "9", "--out", str(new)]) == 0
    ckpt = load_checkpoint(jazz_model)
    score = generate_solo(ckpt, CHART, JazzSettings(seed=4, tempo=132)).solo
    played = read_midi_solo(take)[0]
    assert notes(played, 2) != notes(score, 2)          # swung and humanised as written
    assert notes(read_take(take)) == notes(score)
    assert notes(read_take(new), 2) == notes(score, 2)

    edited = mido.MidiFile(str(take))
    first_on = next(m for m in edited.tracks[1] if m.type == "note_on")
    first_off = next(m for m in edited.tracks[1] if m.type == "note_off" and m.note == first_on.note)
    first_on.note = first_off.note = first_on.note + 1
    edited.save(str(tmp_path / "edited.mid"))
    assert notes(read_take(tmp_path / "edited.mid")) == notes(read_midi_solo(tmp_path / "edited.mid")[0])


@pytest.mark.parametrize("argv, message", [
    (["--keep-bars", "2"], "give it as --primer take.mid"),
    (["--keep-bars", "4", "--primer", "TAKE"], "keep 0 to 3 bars"),
])
def test_keep_bars_refusals(jazz_model, tmp_path, capsys, argv, message):
    take = tmp_path / "take.mid"
    assert main(["sample", str(jazz_model), "--chart", CHART, "--seed", "1", "--out", str(take),
                 *SCORE]) == 0
    capsys.readouterr()
    argv = [str(take) if a == "TAKE" else a for a in argv]
    assert main(["sample", str(jazz_model), "--chart", CHART, *argv]) != 0
    assert message in capsys.readouterr().err

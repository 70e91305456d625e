"""Issue 9 items 6 and 7 for jazz through the CLI: bad sample input refused with one line
(no traceback, no file written), a no-chord chart, a truncated primer, and the terminal
report's per-file reasons."""

import pytest

from studio.cli import main


def _one_clear_line(capsys, *words):
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    for w in words:
        assert w in err, err
    return err


@pytest.mark.timeout(120)
@pytest.mark.parametrize("flags,words", [
    (["--program", "500"], ["--program", "0..127"]),
    (["--chart", ""], ["no bars"]),
    (["--chart", "3/4 | Dm7 | G7 |"], ["3/4", "4/4"]),
    (["--tempo", "nan"], ["tempo"]),
    (["--low", "200"], ["pitch"]),
    # issue 23 defect 8: charts had no length limit (100,000 bars, 1.2 MB, were accepted)
    (["--chart", "| C7 " * 100_000 + "|"], ["more than 2,000 bars", "split"]),
    (["--chart", "| C7 " * 100 + "|", "--choruses", "21"], ["21 choruses of 100 bars make 2,100 bars"]),
])
def test_jazz_sample_refuses_bad_input(jazz_model, tmp_path, capsys, flags, words):
    mid = tmp_path / "x.mid"
    assert main(["sample", str(jazz_model), "--out", str(mid), *flags]) == 2
    _one_clear_line(capsys, *words)
    assert not mid.exists()


@pytest.mark.timeout(120)
def test_a_no_chord_chart_prints_its_take_without_a_traceback(jazz_model, tmp_path, capsys):
    mid = tmp_path / "nc.mid"
    assert main(["sample", str(jazz_model), "--chart", "| NC |", "--out", str(mid), "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "take:" in out and mid.exists()


@pytest.mark.timeout(60)
def test_a_truncated_primer_midi_gets_a_readable_message(jazz_model, tmp_path, capsys, make_midi):
    good = make_midi(tmp_path / "p.mid", [{"notes": [(b / 2, 0.5, 60 + b % 12) for b in range(32)]}])
    cut = tmp_path / "cut.mid"
    cut.write_bytes(good.read_bytes()[:40])
    assert main(["sample", str(jazz_model), "--primer", str(cut)]) == 2
    err = _one_clear_line(capsys, "truncated")
    assert "EOFError" not in err


def test_terminal_report_lists_the_files_it_skipped(tmp_path, make_midi, capsys, restore_signals):
    corpus = tmp_path / "tunes"
    corpus.mkdir()
    for i in range(3):
        make_midi(corpus / f"t{i}.mid", [{"notes": [(b / 2, 0.5, 60 + (b + i) % 12) for b in range(32)]}])
    (corpus / "broken.mid").write_bytes(b"MThd garbage")
    assert main(["train", "--corpus", str(corpus), "--kind", "jazz", "--report"]) == 0
    out = capsys.readouterr().out
    assert "broken.mid" in out and "error" in out

"""``sample --out`` writes the format its extension names (issue 22 item 6): .mid/.midi MIDI,
.musicxml/.xml/.mxl a lead sheet, .wav audio; any other extension is refused in one line
before sampling, and --wav/--xml keep working. Each file is checked by its own bytes (MThd,
RIFF/WAVE, a MusicXML root, a zip holding one) and the lead sheet by music21."""

from __future__ import annotations

import zipfile

import pytest

from studio.cli import main

music21 = pytest.importorskip("music21")
CHART = "| Dm7 | G7#9 | Cmaj7 | NC |"


def sample(model, *flags) -> int:
    return main(["sample", str(model), "--chart", CHART, "--seed", "1", "--tempo", "200", *flags])


def is_musicxml(data: bytes) -> bool:
    return data.lstrip().startswith(b"<?xml") and b"<score-partwise" in data


@pytest.mark.timeout(180)
def test_out_picks_the_writer_by_extension(jazz_model, tmp_path, capsys):
    kinds = {"take.mid": b"MThd", "take.MIDI": b"MThd", "take.wav": b"RIFF"}
    for name, magic in kinds.items():
        assert sample(jazz_model, "--out", str(tmp_path / name)) == 0
        assert (tmp_path / name).read_bytes()[:4] == magic, name
    assert (tmp_path / "take.wav").read_bytes()[8:12] == b"WAVE"
    for name in ("sheet.musicxml", "sheet.xml"):
        assert sample(jazz_model, "--out", str(tmp_path / name)) == 0
        assert is_musicxml((tmp_path / name).read_bytes()), name
        score = music21.converter.parse(str(tmp_path / name))
        kinds = [h.chordKindStr for h in score.parts[0].recurse().getElementsByClass("Harmony")]
        assert kinds == ["m7", "7#9", "maj7", "N.C."]
    assert sample(jazz_model, "--out", str(tmp_path / "sheet.mxl")) == 0
    with zipfile.ZipFile(tmp_path / "sheet.mxl") as packed:      # compressed MusicXML
        inner = [n for n in packed.namelist() if not n.startswith("META-INF")]
        assert len(inner) == 1 and is_musicxml(packed.read(inner[0]))
    out = capsys.readouterr().out
    assert "musicxml: " in out and "wav: " in out and "midi: " in out


@pytest.mark.timeout(180)
def test_wav_and_xml_flags_still_write_beside_out(jazz_model, tmp_path):
    mid, wav, xml = tmp_path / "a.mid", tmp_path / "a.wav", tmp_path / "a.musicxml"
    assert sample(jazz_model, "--out", str(mid), "--wav", str(wav), "--xml", str(xml)) == 0
    assert mid.read_bytes()[:4] == b"MThd" and wav.read_bytes()[:4] == b"RIFF"
    assert is_musicxml(xml.read_bytes())


@pytest.mark.timeout(60)
@pytest.mark.parametrize("flags, words", [
    (["--out", "{tmp}/take.txt"], ["--out", ".mid", ".musicxml", ".wav"]),
    (["--out", "{tmp}/take"], ["--out", "extension"]),
    (["--out", "{tmp}/a.musicxml", "--xml", "{tmp}/b.musicxml"], ["lead sheet", "give one"]),
    (["--out", "{tmp}/a.wav", "--wav", "{tmp}/b.wav"], ["WAV", "give one"]),
])
def test_other_extensions_are_refused_before_sampling(jazz_model, tmp_path, capsys, flags, words):
    flags = [f.replace("{tmp}", str(tmp_path)) for f in flags]
    assert sample(jazz_model, *flags) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert all(w in err for w in words), err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["j.safetensors"]   # nothing written

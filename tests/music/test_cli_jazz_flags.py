"""`sample` for jazz: the feel flags (--swing, --humanize, --feel-seed), the lead sheet (--xml),
the primer's part (--lead), and a model trained on chord-less MIDI says it is chord-blind
(checkpoint, `sample`, `models`). Files are re-read with a second parser (pretty_midi,
ElementTree) rather than the code that wrote them."""

import json
import xml.etree.ElementTree as ET
from collections import Counter

import numpy as np
import pretty_midi
import pytest

from studio.cli import main
from studio.core.checkpoint import load_checkpoint
from studio.music.chart import parse_chart
from studio.music.audio.synth import read_wav

CHART = "| Dm7 | G7 | Cmaj7 | F#m7b5 B7 |"


def _train(tmp_path, make_midi, capsys, texts):
    corpus = tmp_path / ("chords" if texts else "plain")
    corpus.mkdir()
    for i in range(6):
        notes = [(b / 2, 0.5, 60 + (b * 5 + i) % 12) for b in range(64)]
        make_midi(corpus / f"tune{i}.mid", [{"notes": notes, "texts": texts}])
    model = tmp_path / f"{corpus.name}.safetensors"
    assert main(["train", "--corpus", str(corpus), "--kind", "jazz", "--max-steps", "3", "--hidden", "16",
                 "--layers", "1", "--batch", "4", "--window", "64", "--out", str(model), "--jsonl"]) == 0
    capsys.readouterr()
    return model


@pytest.fixture
def model(tmp_path, make_midi, capsys, restore_signals):
    return _train(tmp_path, make_midi, capsys, [(0, "Dm7"), (4, "G7"), (8, "Cmaj7")])


def _band_offbeats(path) -> list[float]:
    """Fractions of the beat where the comping track's hits between beats land."""
    pm = pretty_midi.PrettyMIDI(str(path))
    beat = 60 / pm.get_tempo_changes()[1][0]
    comping = next(i for i in pm.instruments if i.name == "Comping")
    fractions = {round((n.start / beat) % 1, 3) for n in comping.notes}
    return sorted(f for f in fractions if 0.01 < f < 0.99)


def test_swing_humanize_and_feel_seed_shape_the_performance(model, tmp_path, capsys):
    def take(name, *flags):
        out = tmp_path / f"{name}.mid"
        assert main(["sample", str(model), "--chart", CHART, "--tempo", "120", "--choruses", "2",
                     "--seed", "3", "--out", str(out), "--json", *flags]) == 0
        return out, json.loads(capsys.readouterr().out)[0]

    straight, row = take("straight", "--swing", "straight", "--humanize", "0")
    assert row["feel"] == {"swing": "straight", "humanize": 0.0, "seed": None, "articulation": "auto"}
    assert _band_offbeats(straight) == [0.5]                 # the Charleston's "and", straight
    swung, _ = take("swung", "--swing", "2", "--humanize", "0")
    assert _band_offbeats(swung) == [0.667]                  # 2 : 1 puts it at 2/3 of the beat
    # the solo: same notes, and an offbeat eighth (a beat holding only 0 and 1/2) moves to 2/3
    a, b = (sorted(pretty_midi.PrettyMIDI(str(p)).instruments[0].notes, key=lambda n: n.start)
            for p in (straight, swung))
    assert [n.pitch for n in a] == [n.pitch for n in b] and a
    beat = 0.5
    by_beat = {}
    for n in a:
        by_beat.setdefault(int(n.start / beat + 1e-6), set()).add(round((n.start / beat) % 1, 3))
    for x, y in zip(a, b):
        k, f = int(x.start / beat + 1e-6), round((x.start / beat) % 1, 3)
        if f == 0.5 and by_beat[k] <= {0.0, 0.5}:
            assert (y.start / beat) % 1 == pytest.approx(2 / 3, abs=1e-2)
        if f == 0.0:
            assert y.start == pytest.approx(x.start, abs=1e-3)
    # humanize: the scatter is seeded by the take unless --feel-seed says otherwise
    loose1, _ = take("loose1", "--humanize", "1")
    loose2, _ = take("loose2", "--humanize", "1")
    other, _ = take("other", "--humanize", "1", "--feel-seed", "7")
    starts = [[n.start for n in pretty_midi.PrettyMIDI(str(p)).instruments[0].notes] for p in (loose1, loose2, other)]
    assert starts[0] == starts[1] and starts[0] != starts[2]
    assert main(["sample", str(model), "--chart", CHART, "--swing", "swingy"]) == 2
    assert "swing must be 'auto', 'straight' or a ratio" in capsys.readouterr().err
    # articulation: at humanize 0 the lead sheet's lengths, unless the players' are asked for
    written, _ = take("written", "--humanize", "0")
    held, row = take("held", "--humanize", "0", "--articulation", "players")
    assert row["feel"]["articulation"] == "players"
    lengths = [[round(n.end - n.start, 4) for n in pretty_midi.PrettyMIDI(str(p)).instruments[0].notes]
               for p in (written, held)]
    assert len(lengths[0]) == len(lengths[1]) and lengths[0] != lengths[1]
    assert main(["sample", str(model), "--chart", CHART, "--articulation", "staccato"]) == 2
    assert "articulation must be one of auto, players, written, score" in capsys.readouterr().err


def test_xml_writes_a_lead_sheet_with_every_chord_symbol(model, tmp_path, capsys):
    xml, wav = tmp_path / "sheet.musicxml", tmp_path / "take.wav"
    assert main(["sample", str(model), "--chart", CHART, "--tempo", "140", "--choruses", "2", "--seed", "1",
                 "--xml", str(xml), "--wav", str(wav)]) == 0
    assert "musicxml: " in capsys.readouterr().out
    root = ET.parse(xml).getroot()
    parts = root.findall("part")
    assert len(parts) == 2                                    # the solo (treble) and the bass line
    roots = [(h.findtext("root/root-step"), h.findtext("root/root-alter")) for h in parts[0].iter("harmony")]
    spans = parse_chart(CHART).to_spans(2)
    assert len(roots) == len(spans) == 10
    assert Counter(step for step, _ in roots)["F"] == 2 and ("F", "1") in roots   # F# stays F#, not Gb
    assert parts[0].find("measure/attributes/key/fifths") is not None
    assert [c.findtext("sign") for c in parts[1].iter("clef")][:1] == ["F"]
    buf, rate = read_wav(wav)
    assert float(np.sqrt(np.mean(np.square(buf.astype(np.float64))))) > 0.01   # not silence


def test_lead_picks_the_primer_part(model, tmp_path, make_midi, capsys):
    from studio.music.generate import _primer_tokens

    primer = make_midi(tmp_path / "band.mid", [
        {"name": "Tenor Sax", "program": 66, "notes": [(b, 1, 70 + b % 3) for b in range(8)]},
        {"name": "Piano", "channel": 1, "program": 0,
         "notes": [(b, 1, p) for b in range(8) for p in (48, 52, 55)]}])
    spans = parse_chart(CHART).to_spans(1)

    def pitches(lead):
        return {int(t[6:]) for t in _primer_tokens(primer, 2, 120, spans, 4, lead) if t.startswith("PITCH_")}
    assert pitches(None) == {70, 71, 72}                      # the sax by name and program
    assert pitches("Piano") == {55} == pitches("2")           # the piano's top line, by name or number
    assert main(["sample", str(model), "--chart", CHART, "--primer", str(primer), "--lead", "piano",
                 "--seed", "1"]) == 0
    capsys.readouterr()
    assert main(["sample", str(model), "--chart", CHART, "--primer", str(primer), "--lead", "Trumpet"]) == 2
    err = capsys.readouterr().err
    assert "no part matches lead 'Trumpet'" in err and "Tenor Sax" in err and "Traceback" not in err
    assert main(["sample", str(model), "--chart", CHART, "--lead", "2"]) == 2
    assert "give --primer too" in capsys.readouterr().err


def test_a_model_trained_without_chords_says_it_is_chord_blind(tmp_path, make_midi, capsys, restore_signals,
                                                                model):
    blind = _train(tmp_path, make_midi, capsys, [])
    assert load_checkpoint(blind).meta["corpus"]["chords"] is False
    assert load_checkpoint(model).meta["corpus"]["chords"] is True
    assert main(["sample", str(blind), "--chart", CHART, "--seed", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["chord_aware"] is False
    assert main(["sample", str(blind), "--chart", CHART, "--seed", "1"]) == 0
    assert "is chord-blind" in capsys.readouterr().err
    assert main(["sample", str(model), "--chart", CHART, "--seed", "1"]) == 0
    assert "chord-blind" not in capsys.readouterr().err
    for path in (blind, model):
        assert main(["models", "--import", str(path)]) == 0
    capsys.readouterr()
    assert main(["models", "--json"]) == 0
    notes = {r["name"]: r["notes"] for r in json.loads(capsys.readouterr().out) if not r["shipped"]}
    blind_name, model_name = (load_checkpoint(p).meta["name"] for p in (blind, model))
    # (each row also says whether the file is signed: issue 23)
    assert notes == {blind_name: ["chord-blind: trained without chords", "unsigned"],
                     model_name: ["unsigned"]}
    assert main(["models"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if "chord-blind" in line]
    assert len(lines) == 1 and lines[0].startswith(blind_name + " ")

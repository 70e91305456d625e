"""The solo's instrument: its register reached by sampling in the net's frame and moving the
line, not by clamping it (``generate.register_shift``, ``perform.instruments``)."""

import json
from dataclasses import replace
import pytest

from studio.core.checkpoint import load_checkpoint
from studio.music.chart import PRESETS, as_chart
from studio.music.encoding import encode_solo, transpose_solo, transpose_tokens
from studio.music.generate import (JazzSettings, generate_over, generate_takes, register_shift,
                                   take_is_well_formed)
from studio.music.perform.instruments import (INSTRUMENTS, instrument_for_program, instrument_named,
                                              nearest_instrument)
from studio.music.types import ChordSpan, Note, Solo


def test_instruments_are_named_as_players_say_them():
    assert instrument_named("trumpet").program == 56
    assert instrument_named("Alto Sax").name == instrument_named("alto").name == "Alto sax"
    assert instrument_named("jazz-guitar").name == instrument_named("guitar").name == "Jazz guitar"
    assert instrument_named("bari").name == "Baritone sax"
    assert instrument_named("piano").register is None
    for vague in ("sax", "", "kazoo"):
        with pytest.raises(ValueError, match="one of tenor sax, alto sax"):
            instrument_named(vague)
    assert instrument_for_program(65).name == "Alto sax" and instrument_for_program(100) is None
    # every range holds its register, and the tenor plays where the model does
    assert all(i.low < (i.register or i.low + 1) < i.high for i in INSTRUMENTS)
    assert instrument_named("tenor").register is None


def test_the_nearest_horn_by_the_players_register():
    assert nearest_instrument(71.0).name == "Trumpet"
    assert nearest_instrument(66.2).name == "Alto sax"
    assert nearest_instrument(63.5).name == "Tenor sax"
    assert nearest_instrument(54.0).name == "Baritone sax"


def test_tokens_move_with_the_solo():
    """``transpose_tokens`` against an independent path: encoding the transposed solo."""
    notes = [Note(0, 12, 60), Note(12, 6, 63), Note(24, 24, 70)]
    spans = [ChordSpan(0, 48, as_chart("| Dm7 |").to_spans(1)[0].chord),
             ChordSpan(48, 96, as_chart("| G7 |").to_spans(1)[0].chord)]
    solo = Solo("s", notes, spans, tempo=150, chorus_starts=[0])
    for k in (-7, 5, 11):
        assert transpose_tokens(encode_solo(solo), k) == encode_solo(transpose_solo(solo, k))
    assert transpose_tokens(["BAR", "PITCH_60"], 0) == ["BAR", "PITCH_60"]


@pytest.fixture
def model(jazz_model):
    ck = load_checkpoint(jazz_model)
    ck.meta["sampling"] = {"register": 60.0}     # as lick_sweep --fit-register stores it
    return ck


def test_the_shift_is_the_register_asked_against_the_models(model):
    assert register_shift(JazzSettings(), model.meta) == 0
    assert register_shift(JazzSettings(register=70.4), model.meta) == 10
    assert register_shift(JazzSettings(register=56.5), model.meta) == -4   # round(-3.5) == -4
    assert register_shift(JazzSettings(register=70.0), {}) == 5            # 65.3 when unmeasured
    with pytest.raises(ValueError, match="register must be a MIDI pitch"):
        JazzSettings(register=20).validate()


def test_a_take_on_an_instrument_is_the_nets_line_in_its_frame_moved_up(model):
    """The reference: the same seed over the chart moved down by the shift, in the range
    moved down, at the model's own register, then the line moved up. The take keeps the
    chart's own chords (in its solo and its tokens) and the instrument's range."""
    chart = as_chart(PRESETS["ii-V-I cycle"])
    over = Solo("changes", [], chart.to_spans(1), tempo=170, chorus_starts=[0])
    trumpet = instrument_named("trumpet")
    asked = JazzSettings(seed=11, count=2, register=trumpet.register,
                         pitch_low=trumpet.low, pitch_high=trumpet.high)
    takes = generate_over(model, over, asked)
    shift = 10
    reference = generate_over(model, transpose_solo(over, -shift),
                              JazzSettings(seed=11, count=2, pitch_low=trumpet.low - shift,
                                           pitch_high=trumpet.high - shift))
    for take, ref in zip(takes, reference):
        assert take.info["register_shift"] == shift
        assert [(n.start, n.duration, n.pitch) for n in take.solo.notes] == \
            [(n.start, n.duration, n.pitch + shift) for n in ref.solo.notes]
        assert take.tokens == transpose_tokens(ref.tokens, shift)
        assert [s.chord.token for s in take.solo.chords] == \
            [s.chord.token for s in chart.to_spans(1)]
        assert take_is_well_formed(take) == []
        assert all(trumpet.low <= n.pitch <= trumpet.high for n in take.solo.notes)


def test_a_range_the_shift_cannot_reach_is_refused(model):
    with pytest.raises(ValueError, match="out of the model's reach"):
        generate_takes(model, "| C7 |", JazzSettings(register=90, pitch_low=30, pitch_high=40, seed=1))


def test_sample_plays_the_instrument_named(jazz_model, tmp_path, capsys, monkeypatch):
    import pretty_midi

    from studio.cli import main
    from studio.music.audio import soundfont

    rendered = []
    real = soundfont.render_take
    monkeypatch.setattr(soundfont, "render_take",
                        lambda *a, **k: rendered.append(k.get("program")) or real(*a, **k))
    out = tmp_path / "t.mid"
    assert main(["sample", str(jazz_model), "--chart", "| Dm7 | G7 | Cmaj7 | % |", "--seed", "2",
                 "--instrument", "trumpet", "--low", "60", "--out", str(out), "--json",
                 "--wav", str(tmp_path / "t.wav"), "--soundfont", "none"]) == 0
    assert rendered == [56]      # the WAV is played on the trumpet too
    take = json.loads(capsys.readouterr().out)[0]
    assert take["settings"]["register"] == 70.4
    assert (take["settings"]["pitch_low"], take["settings"]["pitch_high"]) == (60, 86)  # --low wins
    solo = pretty_midi.PrettyMIDI(str(out)).instruments[0]
    assert solo.program == 56 and all(60 <= n.pitch <= 86 for n in solo.notes)
    assert main(["sample", str(jazz_model), "--instrument", "kazoo"]) == 2
    assert "unknown instrument 'kazoo'" in capsys.readouterr().err


def test_the_discriminators_takes_play_the_human_solos_instrument(model):
    """``--discriminate``'s takes over a trumpeter's solo are trumpet takes (its register and
    range), over a baritone player's baritone takes; "model" leaves the model's own."""
    from dataclasses import replace

    from studio.music.analysis.discriminate_report import generated_takes, instrument_for

    spans = as_chart("| Dm7 | G7 | Cmaj7 | Cmaj7 |").to_spans(1)
    high = Solo("Someone_HighTune", [Note(i * 12, 12, 70 + i % 3) for i in range(16)], spans,
                tempo=160, chorus_starts=[0])
    low = replace(high, title="Other_LowTune", notes=[Note(i * 12, 12, 55 + i % 3) for i in range(16)])
    assert instrument_for(high).name == "Trumpet" and instrument_for(low).name == "Baritone sax"
    assert instrument_for(high, "model") is None and instrument_for(low, "alto").name == "Alto sax"
    takes = generated_takes(model, [high, low], JazzSettings(), takes=1, seed=4, bars=4)
    for (group, _, take), solo, seed in zip(takes, (high, low), (4, 5)):
        inst = instrument_for(solo)
        ref = generate_over(model, solo, JazzSettings(seed=seed, register=inst.register,
                                                      pitch_low=inst.low, pitch_high=inst.high))[0]
        assert [(n.start, n.pitch) for n in take.notes] == [(n.start, n.pitch) for n in ref.solo.notes]
        assert group == solo.title.split("_")[1]


def test_a_trumpet_take_continues_from_bar_n_on_the_trumpet(model):
    """Continue from bar N moves the kept bars into the net's frame with the rest: they come
    back note for note, and the new bars sit in the trumpet's range."""
    from studio.music.continuation import continue_takes

    trumpet = instrument_named("trumpet")
    chart = "| Dm7 | G7 | Cmaj7 | A7 | Dm7 | G7 | Cmaj7 | % |"
    asked = JazzSettings(seed=3, register=trumpet.register, pitch_low=trumpet.low,
                         pitch_high=trumpet.high, tempo=150)
    first = generate_takes(model, chart, asked)[0]
    again = continue_takes(model, first, 4, chart, replace(asked, seed=9))[0]
    before = [(n.start, n.pitch) for n in first.solo.notes if n.start < 4 * 48]
    assert [(n.start, n.pitch) for n in again.solo.notes if n.start < 4 * 48] == before
    assert again.info["register_shift"] == 10 and take_is_well_formed(again) == []
    assert all(trumpet.low <= n.pitch <= trumpet.high for n in again.solo.notes)

import pytest
import torch

from studio.core.checkpoint import Checkpoint
from studio.core.net import NetConfig, SequenceNet
from studio.core.vocab import Vocab
from studio.music.chart import PRESETS, chart_to_spans
from studio.music.chords import scale_for
from studio.music.encoding import decode_tokens, encode_solo, jazz_vocab_tokens
from studio.music.generate import JazzSettings, _primer_tokens, generate_solo, generate_takes, take_is_well_formed
from studio.music.grammar import ChartGrammar, GrammarError
from studio.music.types import Note, Solo, chord_at


def tiny_ckpt(cell="lstm", seed=0, meta=None):
    torch.manual_seed(seed)
    vocab = Vocab.from_tokens(jazz_vocab_tokens(), kind="event")
    net = SequenceNet(NetConfig(cell=cell, vocab_size=len(vocab), layers=1, hidden=32, embedding=16))
    return Checkpoint(model=net, vocab=vocab, meta=dict(meta or {"domain": "jazz", "name": "tiny"}))


def check_take(take, chart, choruses):
    assert take_is_well_formed(take) == []
    assert take.tokens[-1] == "<end>"
    bars = take.tokens.count("BAR")
    spans = chart_to_spans(chart, choruses)
    assert bars * 48 == spans[-1].end
    assert take.solo.chords == spans
    # the chord tokens in the stream are exactly the chart's, at the chart's ticks
    back = decode_tokens(take.tokens, tempo=take.solo.tempo)
    assert back.chords == spans
    assert back.chorus_starts == take.solo.chorus_starts
    assert back.notes == take.solo.notes
    # re-encoding the decoded take gives the same tokens (the grammar = the encoding)
    assert encode_solo(back) + ["<end>"] == take.tokens


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("preset", ["Bb blues", "Rhythm changes (Bb)"])
def test_sampled_takes_are_well_formed(cell, preset):
    ckpt = tiny_ckpt(cell)
    settings = JazzSettings(seed=3, temperature=1.3, count=3)
    for take in generate_takes(ckpt, PRESETS[preset], settings):
        check_take(take, PRESETS[preset], 1)
        assert take.solo.notes, "a random net still plays something"


def test_odd_chart_two_choruses_top_p_and_scale_mask():
    chart = "| Dm7 G7 | C7 F7 Bb7 | Am7b5 D7b9 G-7 C7 | % | NC |"
    settings = JazzSettings(seed=5, choruses=2, top_p=0.9, top_k=20, scale_mask=True,
                            pitch_low=60, pitch_high=72, tempo=200)
    take = generate_solo(tiny_ckpt(seed=1), chart, settings)
    check_take(take, chart, 2)
    assert take.solo.tempo == 200
    for note in take.solo.notes:
        assert 60 <= note.pitch <= 72
        assert note.pitch % 12 in scale_for(chord_at(take.solo.chords, note.start))


def test_same_seed_same_take_and_seed_recorded():
    ckpt = tiny_ckpt()
    a = generate_solo(ckpt, "| C7 | F7 |", JazzSettings(seed=11))
    b = generate_solo(ckpt, "| C7 | F7 |", JazzSettings(seed=11))
    assert a.tokens == b.tokens
    free = generate_solo(ckpt, "| C7 | F7 |", JazzSettings())
    assert free.seed is not None
    assert generate_solo(ckpt, "| C7 | F7 |", JazzSettings(seed=free.seed)).tokens == free.tokens


def test_greedy_and_stop_and_stream():
    ckpt = tiny_ckpt()
    seen = []
    take = generate_solo(ckpt, PRESETS["Bb blues"], JazzSettings(temperature=0),
                         on_step=lambda i, toks: seen.append(len(toks)))
    assert seen and seen[-1] == len(take.tokens)
    assert take_is_well_formed(take) == []
    calls = {"n": 0}

    def stop():
        calls["n"] += 1
        return calls["n"] > 40

    cut = generate_solo(ckpt, PRESETS["Bb blues"], JazzSettings(seed=2), should_stop=stop)
    assert cut.stopped and len(cut.tokens) == 41
    assert take_is_well_formed(cut) == []


def test_chord_blind_model_gets_nc_tokens_but_take_keeps_chart():
    ckpt = tiny_ckpt(meta={"domain": "jazz", "train_config": {"chords": False}})
    take = generate_solo(ckpt, "| Dm7 | G7 |", JazzSettings(seed=1))
    assert {t for t in take.tokens if t.startswith("CHORD")} == {"CHORD_NC"}
    assert [s.chord.name for s in take.solo.chords] == ["Dm7", "G7"]


def test_primer_from_solo():
    ckpt = tiny_ckpt()
    primer = Solo("lick", [Note(0, 6, 62), Note(6, 6, 65), Note(12, 24, 69)],
                  chart_to_spans("| Dm7 |"))
    take = generate_solo(ckpt, "| G7 | Cmaj7 |", JazzSettings(seed=4, primer=primer, primer_bars=1))
    check_take(take, "| G7 | Cmaj7 |", 1)
    # the primer is played as the bar before the chart: the take's tempo, the last bar of
    # a (2-bar) chorus, and the chart's first chord as what comes next
    tokens = _primer_tokens(primer, 1, 230, chart_to_spans("| G7 | Cmaj7 |"), 2)
    assert tokens[:3] == ["BAR", "TEMPO_200", "FORM_1"]
    assert tokens[-6:] == ["POS_12", "TO_3", "NEXT_G_dom7", "CHORD_D_min7", "PITCH_69", "DUR_24"]


def test_wrong_vocabulary_is_refused():
    with pytest.raises(GrammarError):
        ChartGrammar(["<end>", "<unk>", "a", "b"], chart_to_spans("| C7 |"), 1)


def test_take_helpers(tmp_path):
    import json

    import mido
    import numpy as np

    take = generate_solo(tiny_ckpt(), "| Dm7 | G7 | Cmaj7 | % |",
                         JazzSettings(seed=8, tempo=180, primer=tmp_path / "none.mid", primer_bars=0))
    path = take.to_midi(tmp_path / "take.mid", program=56)
    assert len(mido.MidiFile(path).tracks) == 4
    audio = take.render(rate=8000)
    assert audio.shape[0] == int(np.ceil((16 * 60 / 180 + 0.6) * 8000))
    assert float(np.abs(audio).max()) > 0.01
    m = take.metrics()
    assert m["bars"] == 4 and m["notes"] == len(take.solo.notes)
    d = take.describe()
    assert json.loads(json.dumps(d))["seed"] == 8 and d["bars"] == 4
    assert abs(take.seconds - 16 * 60 / 180) < 1e-9


def test_pitch_temperature_shapes_pitches_only():
    ckpt = tiny_ckpt(seed=3)
    with torch.no_grad():   # a random net's logits are nearly flat: spread them
        ckpt.model.head.weight.mul_(30)
    vocab = ckpt.vocab
    settings = JazzSettings(seed=6, pitch_temperature=0.0, rhythm_temperature=1.5,
                            pitch_low=55, pitch_high=79)
    assert settings.temperatures() == (0.0, 1.5)
    take = generate_solo(ckpt, PRESETS["ii-V-I cycle"], settings)
    assert take_is_well_formed(take) == []
    ids = [vocab.end_id] + [vocab.tokens.index(t) for t in take.tokens]
    with torch.no_grad():
        logits, _ = ckpt.model(torch.tensor([ids[:-1]]))
    pitch_ids = [vocab.tokens.index(f"PITCH_{p}") for p in range(55, 80)]
    pitches = rhythm_misses = 0
    for step, tok in enumerate(ids[1:]):
        name = vocab.tokens[tok]
        if name.startswith("PITCH_"):
            # a near-zero pitch temperature: the net's favourite pitch in range, every time
            best = max(pitch_ids, key=lambda i: float(logits[0, step, i]))
            assert tok == best
            pitches += 1
        elif name.startswith("DUR_"):
            row = logits[0, step]
            rhythm_misses += tok != int(max((i for i, t in enumerate(vocab.tokens) if t.startswith("DUR_")),
                                            key=lambda i: float(row[i])))
    # rhythm stays hot: durations are not all the favourite one
    assert pitches > 10 and rhythm_misses > 0
    # the master temperature multiplies both
    assert JazzSettings(temperature=0.5, pitch_temperature=0.8).temperatures() == (0.4, 0.5)

"""Continue from bar N (``studio.music.continuation``): the kept bars stay note for note,
the rest follows the chart from bar N, the same seed gives the same take, and the net's
state at bar N is the take's own (carried from one prime pass, not restarted)."""

import pytest
import torch

from studio.core.checkpoint import Checkpoint
from studio.core.net import NetConfig, SequenceNet
from studio.core.vocab import Vocab
from studio.music.chart import chart_to_spans
from studio.music.continuation import continue_solo, kept_tokens
from studio.music.encoding import decode_tokens, encode_solo, jazz_vocab_tokens
from studio.music.generate import JazzSettings, generate_solo, take_is_well_formed
from studio.music.grammar import ChartGrammar
from studio.music.types import Note, Solo

CHART = "| Dm7 | G7 | Cmaj7 | A7 | Dm7 G7 | Cmaj7 |"
BAR_TICKS = 48


def tiny_ckpt(seed=0):
    torch.manual_seed(seed)
    vocab = Vocab.from_tokens(jazz_vocab_tokens(), kind="event")
    net = SequenceNet(NetConfig(cell="lstm", vocab_size=len(vocab), layers=1, hidden=32, embedding=16))
    return Checkpoint(model=net, vocab=vocab, meta={"domain": "jazz", "name": "tiny"})


def bar_heads(tokens):
    """Per bar, what the chart forces after its BAR: tempo, form, position 0, harmony."""
    at = [i for i, t in enumerate(tokens) if t == "BAR"]
    return [tokens[i + 1:i + 7] for i in at]


def first_bars(solo, bars):
    return [n for n in solo.notes if n.start < bars * BAR_TICKS]


@pytest.fixture(scope="module")
def ckpt():
    return tiny_ckpt()


@pytest.fixture(scope="module")
def take(ckpt):
    return generate_solo(ckpt, CHART, JazzSettings(seed=3, tempo=150))


def test_kept_bars_stay_note_for_note_and_the_rest_follows_the_chart(ckpt, take):
    new = continue_solo(ckpt, take, 3, CHART, JazzSettings(seed=9, tempo=150))
    assert new.info["kept_bars"] == 3 and new.bars == 6
    assert first_bars(new.solo, 3) == first_bars(take.solo, 3)
    kept = kept_tokens(take.solo, CHART, JazzSettings(tempo=150), 3)
    assert kept[-1] == "BAR" and kept.count("BAR") == 4
    assert new.tokens[:len(kept)] == take.tokens[:len(kept)] == kept
    assert new.solo.notes != take.solo.notes          # the rest was played again
    # from bar 4 the chart is forced as it was: bar lines, tempo, form, the chords (two in bar 5)
    assert bar_heads(new.tokens) == bar_heads(take.tokens)
    spans = chart_to_spans(CHART)
    assert take_is_well_formed(new) == [] and new.solo.chords == spans
    back = decode_tokens(new.tokens, tempo=150)
    assert back.chords == spans and back.chorus_starts == [0]
    assert encode_solo(back) + ["<end>"] == new.tokens


def test_same_seed_same_continuation(ckpt, take):
    a = continue_solo(ckpt, take, 2, CHART, JazzSettings(seed=5, tempo=150))
    b = continue_solo(ckpt, take.solo, 2, CHART, JazzSettings(seed=5, tempo=150))
    assert a.tokens == b.tokens
    c = continue_solo(ckpt, take, 2, CHART, JazzSettings(seed=6, tempo=150))
    kept = len(kept_tokens(take.solo, CHART, JazzSettings(tempo=150), 2))
    assert c.tokens != a.tokens and c.tokens[:kept] == a.tokens[:kept]


def test_the_kept_bars_prime_the_net_in_one_pass(ckpt, take):
    """The net reads ``<end>`` and the kept bars once, as the prime (the last kept token,
    the BAR of bar N, is the first step's input); the steps then carry that state and
    never run the prefix again."""
    calls = []
    hook = ckpt.model.register_forward_pre_hook(lambda _m, args: calls.append(args[0].tolist()))
    try:
        new = continue_solo(ckpt, take, 3, CHART, JazzSettings(seed=2, tempo=150))
    finally:
        hook.remove()
    kept = kept_tokens(take.solo, CHART, JazzSettings(tempo=150), 3)
    assert calls == [[[ckpt.vocab.end_id] + ckpt.vocab.encode(kept[:-1])]]
    assert new.tokens[:len(kept)] == kept


def test_the_state_at_bar_n_is_the_takes_own():
    """Greedy decoding depends on the state alone: continuing a greedy take from bar N
    greedily gives the same take back only when the net's state and the grammar at bar N
    are the take's (this net's greedy line depends on what it played before bar N)."""
    ckpt = tiny_ckpt(seed=1)
    settings = JazzSettings(temperature=0, tempo=150, licks=0)
    take = generate_solo(ckpt, CHART, settings)
    for keep in (1, 3, 4):
        again = continue_solo(ckpt, take, keep, CHART, settings)
        assert again.tokens == take.tokens, keep
    # keeping no bar is a take from scratch: the same seed, the same take
    sampled = generate_solo(ckpt, CHART, JazzSettings(seed=8, tempo=150))
    assert continue_solo(ckpt, sampled, 0, CHART, JazzSettings(seed=8, tempo=150)).tokens == sampled.tokens


def test_the_grammar_starts_at_bar_n_under_a_held_note(ckpt):
    # bar 2 ends with a note held 16 ticks into bar 3: the grammar, replayed through the
    # kept bars, stands at bar 3 with that note sounding (no onset before tick 16)
    solo = Solo("held", [Note(0, 12, 62), Note(BAR_TICKS + 40, 24, 65)], chart_to_spans(CHART))
    kept = kept_tokens(solo, CHART, JazzSettings(tempo=150), 2)
    grammar = ChartGrammar(ckpt.vocab.tokens, chart_to_spans(CHART), 6, tempo=150)
    grammar.replay(ckpt.vocab.encode(kept))
    forced = []
    while grammar.rows[0].queue:
        forced.append(grammar.rows[0].queue[0])
        grammar.advance(torch.tensor([forced[-1]]))
    assert ckpt.vocab.decode(forced) == ["TEMPO_140", "FORM_2", "POS_0", "TO_4",
                                                "NEXT_A_dom7", "CHORD_C_maj7"]
    allowed = grammar.mask(0)[0]
    tokens = [ckpt.vocab.tokens[i] for i in allowed.nonzero().view(-1).tolist()]
    assert [t for t in tokens if t.startswith("POS_")][0] == "POS_16"
    assert not any(t.startswith("PITCH_") for t in tokens)


def test_a_note_held_over_bar_n_keeps_sounding(ckpt):
    # bar 2 ends with a note held 16 ticks into bar 3: the new line starts after it
    solo = Solo("held", [Note(0, 12, 62), Note(BAR_TICKS + 40, 24, 65)], chart_to_spans(CHART))
    for seed in range(3):
        new = continue_solo(ckpt, solo, 2, CHART, JazzSettings(seed=seed, tempo=150, temperature=1.5))
        assert first_bars(new.solo, 2) == [Note(0, 12, 62, 90), Note(BAR_TICKS + 40, 24, 65, 90)]
        assert take_is_well_formed(new) == []
        assert all(n.start >= BAR_TICKS + 64 for n in new.solo.notes[2:])


def test_keep_bars_must_leave_a_bar_to_play(ckpt, take):
    for keep in (-1, 6):
        with pytest.raises(ValueError, match="keep 0 to 5 bars"):
            continue_solo(ckpt, take, keep, CHART, JazzSettings(seed=1))

"""The lick vocabulary (``licks``) and its sampling bias (``lick_bias``) on tiny synthetic
solos: what is mined, what the bias does to the pitch distribution, that strength 0 is
the take of old, and that the copy guard stops a verbatim run."""

import math
import random

import pytest
import torch

from studio.core.sampling.sampler import SampleSettings, sample_stream, shape_logits
from studio.music import lick_bias, licks
from studio.music.chart import as_chart
from studio.music.chords import parse_chord
from studio.music.fingerprint import Fingerprint
from studio.music.generate import JazzSettings, generate_solo, token_classes
from studio.music.grammar import ChartGrammar
from studio.music.lick_bias import BOOST, LickBias
from studio.music.licks import LickError, LickVocabulary
from studio.music.types import ChordSpan, Note, Solo

LICK = [60, 62, 64, 65, 67]          # intervals 2 2 1 2


def line(title, pitches):
    """A solo of eighth notes (6 ticks) over C7."""
    bars = max(1, math.ceil(len(pitches) * 6 / 48))
    return Solo(title, [Note(i * 6, 6, p) for i, p in enumerate(pitches)],
                [ChordSpan(0, bars * 48, parse_chord("C7"))])


def noise(seed, n=12):
    rng = random.Random(seed)
    return [rng.randrange(50, 80) for _ in range(n)]


def test_the_miner_keeps_patterns_several_players_share_and_drops_ones_own_licks():
    own = [60, 61, 66, 55, 58]       # one player plays it in three solos
    pair = [70, 69, 72, 68, 71]      # two players
    solos = [line("Alice_one", noise(1) + LICK + noise(2)),
             line("Bob_two", noise(3) + LICK + noise(4)),
             line("Cleo_three", noise(5) + LICK + noise(6) + pair),
             line("Dan_a", own + noise(7)), line("Dan_b", noise(8) + own), line("Dan_c", own + own),
             line("Eve_x", pair + noise(9))]
    vocab = LickVocabulary.mine(solos, min_players=3)
    assert vocab.patterns[(2, 2, 1, 2)] == 3 and vocab.patterns[(2, 2, 1)] == 3
    assert (1, 5, -11, 3) not in vocab.patterns          # Dan's own, in three of his solos
    assert (-1, 3, -4, 3) not in vocab.patterns          # shared by two players only
    assert vocab.players == 5 and vocab.solos == 7
    assert LickVocabulary.mine(solos, min_players=2).patterns[(-1, 3, -4, 3)] == 2
    assert vocab.continuations()[(2, 2, 1)] == {2: 1.0}


def test_a_vocabulary_round_trips_through_its_file_and_bad_files_are_refused(tmp_path):
    vocab = LickVocabulary({(2, 2, 1): 3, (2, 2, -3): 4, (-1, 3, -4, 3): 5}, "abc", 0.1, 3, 9, 4)
    path = vocab.save(tmp_path / "x.licks.json")
    back = LickVocabulary.load(path)
    assert back.patterns == vocab.patterns and back.corpus_sha256 == "abc" and back.matches("abc", 0.1)
    assert not back.matches("abc", 0.2) and not back.matches(None, 0.1)
    (tmp_path / "bad.json").write_text('{"format": "sequence-studio-licks", "format_version": 1, '
                                       '"patterns": [[1, "x"]]}')
    with pytest.raises(LickError, match="damaged"):
        LickVocabulary.load(tmp_path / "bad.json")
    (tmp_path / "other.json").write_text("[1, 2]")
    with pytest.raises(LickError, match="not a lick vocabulary"):
        LickVocabulary.load(tmp_path / "other.json")


def test_mining_a_corpus_reads_its_training_split_only(tmp_path, make_midi):
    from studio.music.corpus.dataset import load_jazz_corpus
    from studio.music.corpus.splits import holdout

    for player in ("Ann", "Ben", "Cid", "Dot"):
        notes = [(i * 0.5, 0.5, p) for i, p in enumerate(noise(len(player) + ord(player[0])) + LICK)]
        make_midi(tmp_path / f"{player}_tune.mid", [{"name": "sax", "program": 66, "notes": notes,
                                                     "texts": [(0, "C7")]}])
    corpus = load_jazz_corpus(tmp_path)
    held = holdout(corpus.solos, 0.1)
    assert len(held.val) == 1 and len(held.train) == 3
    # four players play the lick, one of them is held out: three of four, never four
    assert LickVocabulary.mine(corpus.solos, min_players=4).patterns.get((2, 2, 1, 2)) == 4
    mined = LickVocabulary.mine_corpus(tmp_path, min_players=3)
    assert mined.patterns[(2, 2, 1, 2)] == 3 and mined.corpus_sha256 == corpus.sha256
    assert LickVocabulary.mine_corpus(tmp_path, min_players=4).patterns.get((2, 2, 1, 2)) is None


def _four_players(folder, make_midi):
    for player in ("Ann", "Ben", "Cid", "Dot"):
        notes = [(i * 0.5, 0.5, p) for i, p in enumerate(noise(len(player) + ord(player[0])) + LICK)]
        make_midi(folder / f"{player}_tune.mid", [{"name": "sax", "program": 66, "notes": notes,
                                                   "texts": [(0, "C7")]}])


def test_the_mining_command_writes_the_training_splits_vocabulary(tmp_path, make_midi, capsys):
    """``python -m studio.music.licks CORPUS --out FILE``: its options reach the miner, the
    file loads back, the line says what was found."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _four_players(corpus, make_midi)
    out = tmp_path / "l.json"
    assert licks.main([str(corpus), "--out", str(out)]) == 0
    mined = LickVocabulary.load(out)
    expected = LickVocabulary.mine_corpus(corpus)
    assert mined.patterns == expected.patterns and mined.patterns[(2, 2, 1, 2)] == 3
    assert mined.matches(expected.corpus_sha256, 0.1) and mined.min_players == 3
    by_len = {}
    for p in mined.patterns:
        by_len[len(p)] = by_len.get(len(p), 0) + 1
    assert capsys.readouterr().out == (f"{out}: {len(mined.patterns)} patterns from 3 training solos of "
                                       f"3 players (by intervals: {dict(sorted(by_len.items()))})\n")
    assert licks.main([str(corpus), "--out", str(out), "--min-players", "4", "--val-fraction", "0.2"]) == 0
    mined = LickVocabulary.load(out)
    assert (2, 2, 1, 2) not in mined.patterns and mined.min_players == 4
    assert mined.matches(expected.corpus_sha256, 0.2) and not mined.matches(expected.corpus_sha256, 0.1)
    with pytest.raises(SystemExit):
        licks.main([str(corpus)])                              # --out is required
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        licks.main(["--help"])
    usage = " ".join(capsys.readouterr().out.split())
    assert done.value.code == 0 and "--min-players MIN_PLAYERS" in usage
    assert "mine a jazz corpus's lick vocabulary (training split)" in usage
    assert "WJazzD folder or MIDI folder" in usage


def test_mining_a_corpus_tags_the_vocabulary_with_its_validation_fraction(tmp_path, make_midi):
    _four_players(tmp_path, make_midi)
    assert LickVocabulary.mine_corpus(tmp_path, 0.25).val_fraction == 0.25


def test_a_vocabulary_file_without_its_optional_fields_takes_the_defaults():
    back = LickVocabulary.from_json({"format": "sequence-studio-licks", "format_version": 1,
                                     "patterns": [[2, 2, 1, 3]]})
    assert back.patterns == {(2, 2, 1): 3} and back.min_players == licks.MIN_PLAYERS
    assert back.val_fraction == 0.1 and back.solos == 0 and back.players == 0
    assert back.corpus_sha256 is None


# -- the bias ---------------------------------------------------------------------------------

def tokens():
    from studio.music.encoding import jazz_vocab_tokens
    return ["<end>", "<unk>", *jazz_vocab_tokens()]


def feed(bias, toks, pitches):
    """Tell the bias a harmony head then a pitch, for each pitch."""
    ids = {t: i for i, t in enumerate(toks)}
    for p in pitches:
        bias.advance(torch.tensor([ids["CHORD_C_dom7"]]))
        bias.advance(torch.tensor([ids[f"PITCH_{p}"]]))
    bias.advance(torch.tensor([ids["CHORD_C_dom7"]]))
    return ids


def test_the_bias_boosts_the_continuations_of_the_longest_matching_context():
    toks = tokens()
    vocab = LickVocabulary({(2, 2, 1): 3, (2, 2, -3): 4, (5, 2, 2, 7): 3, (9, 9, 9): 3})
    bias = LickBias(toks, vocab, strength=0.5)
    ids = feed(bias, toks, [60, 62, 64])                 # context (2, 2): 1 (3 players), -3 (4)
    b = bias.bias(0)[0]
    assert b[ids["PITCH_65"]] == pytest.approx(0.5 * math.log1p(BOOST * 3 / 7))
    assert b[ids["PITCH_61"]] == pytest.approx(0.5 * math.log1p(BOOST * 4 / 7))
    assert int((b != 0).sum()) == 2
    bias = LickBias(toks, vocab, strength=0.5)
    ids = feed(bias, toks, [55, 60, 62, 64])             # (5, 2, 2) is longer: only 7 follows
    b = bias.bias(0)[0]
    assert b[ids["PITCH_71"]] == pytest.approx(0.5 * math.log1p(BOOST))
    assert int((b != 0).sum()) == 1
    bias.advance(torch.tensor([ids["PITCH_71"]]))       # a pitch, not a harmony: no note comes next
    assert bias.bias(1) is None


def test_the_pitch_distribution_is_the_nets_times_the_lick_factor():
    """At a pitch step, with generate's classes and temperatures: p'(pitch) = the pitch
    class's mass x softmax(z / T_pitch) x (1 + BOOST q)^strength, renormalised; written out
    here with numpy-free float64 arithmetic, not through shape_logits."""
    toks = tokens()
    vocab = LickVocabulary({(2, 2, 1): 3, (2, 2, -3): 4})
    strength, pitch_t = 0.7, 0.65
    bias = LickBias(toks, vocab, strength=strength)
    ids = feed(bias, toks, [60, 62, 64])
    torch.manual_seed(0)
    z = torch.randn(1, len(toks)) * 2
    pitch = torch.tensor([t.startswith("PITCH_") for t in toks])
    z[0, ~pitch] = float("-inf")                          # the grammar: a pitch must come here
    classes = token_classes(toks)
    s = SampleSettings(temperature=1.0, token_classes=classes, class_temperatures=(1.0, pitch_t, 1.0))
    got = torch.softmax(shape_logits(z, s, bias.bias(0)), -1)[0].double()
    weight = {ids["PITCH_65"]: (1 + BOOST * 3 / 7) ** strength, ids["PITCH_61"]: (1 + BOOST * 4 / 7) ** strength}
    want = torch.zeros(len(toks), dtype=torch.float64)
    for i in torch.nonzero(pitch).view(-1).tolist():
        want[i] = math.exp(float(z[0, i]) / pitch_t) * weight.get(i, 1.0)
    want /= want.sum()
    assert torch.allclose(got, want, atol=1e-6)
    unboosted = torch.softmax(shape_logits(z, s), -1)[0].double()
    ratio = (got[ids["PITCH_65"]] / got[ids["PITCH_60"]]) / (unboosted[ids["PITCH_65"]] / unboosted[ids["PITCH_60"]])
    assert float(ratio) == pytest.approx((1 + BOOST * 3 / 7) ** strength, rel=1e-5)


# -- takes ------------------------------------------------------------------------------------

def tiny_ckpt(seed=0):
    from studio.core.checkpoint import Checkpoint
    from studio.core.net import NetConfig, SequenceNet
    from studio.core.vocab import Vocab
    from studio.music.encoding import jazz_vocab_tokens

    torch.manual_seed(seed)
    vocab = Vocab.from_tokens(jazz_vocab_tokens(), kind="event")
    net = SequenceNet(NetConfig(cell="gru", vocab_size=len(vocab), layers=1, hidden=32, embedding=16))
    return Checkpoint(model=net, vocab=vocab, meta={"domain": "jazz", "name": "tiny"})


def random_vocabulary(seed=0):
    rng = random.Random(seed)
    return LickVocabulary({tuple(rng.choice((-2, -1, 1, 2, 3)) for _ in range(n)): 3
                           for n in (3, 4, 5) for _ in range(300)})


def test_strength_zero_is_the_take_of_old(monkeypatch):
    ck = tiny_ckpt()
    chart = "| Dm7 | G7 | Cmaj7 | % |"
    monkeypatch.setattr(licks, "licks_for", lambda ck: random_vocabulary())
    for pitch_t in (0.65, 1.0):                           # with and without token classes
        settings = JazzSettings(seed=4, licks=0.0, pitch_temperature=pitch_t, choruses=4)
        take = generate_solo(ck, chart, settings)
        assert take.info["licks"] == "off"
        # the sampling of before licks existed, written out: the grammar, the tuned
        # temperatures as token classes (or one temperature), no bias
        spans = as_chart(chart).to_spans(4)
        grammar = ChartGrammar(ck.vocab.tokens, spans, 16, pitch_low=48, pitch_high=84, tempo=160.0,
                               chorus_starts=[0, 4, 8, 12])
        classes = pitch_t != 1.0
        old = SampleSettings(temperature=1.0, max_length=grammar.max_tokens(), seed=4,
                             token_classes=token_classes(ck.vocab.tokens) if classes else None,
                             class_temperatures=(1.0, pitch_t, 1.0) if classes else ())
        rows = [ck.vocab.tokens[s.tokens[0]] for s in sample_stream(ck.model, [0], old, constraint=grammar)]
        assert take.tokens == rows
        boosted = generate_solo(ck, chart, JazzSettings(seed=4, licks=1.0, pitch_temperature=pitch_t,
                                                        choruses=4))
        assert boosted.tokens != take.tokens and boosted.info["licks"].startswith("1 (")
    monkeypatch.setattr(licks, "licks_for", lambda ck: None)
    assert generate_solo(ck, chart, JazzSettings(seed=4, licks=1.0)).info["licks"].startswith("off: no lick")


def copy_setup(seed=7):
    """Three players each play one long line L (so every window of L is shared vocabulary,
    and L is verbatim in three training solos): the boost alone would walk all of L."""
    rng = random.Random(seed)
    pitches = [66]
    while len(pitches) < 60:
        step = rng.choice((-4, -3, -2, -1, 1, 2, 3, 4))
        if 58 <= pitches[-1] + step <= 76:
            pitches.append(pitches[-1] + step)
    solos = [line(f"{p}_same", pitches) for p in ("Ann", "Ben", "Cid")]
    return pitches, LickVocabulary.mine(solos, min_players=3), Fingerprint.from_solos(solos)


def test_the_copy_guard_stops_boosting_where_the_verbatim_run_would_pass_the_limit():
    pitches, vocab, fp = copy_setup()
    toks = tokens()
    bias = LickBias(toks, vocab, strength=1.0, fingerprint=fp, copy_limit=12)
    ids = feed(bias, toks, pitches[:8])
    for k in range(8, 20):             # k notes of L played: a run of k - 1 intervals so far
        nxt = bias.bias(k)
        value = 0.0 if nxt is None else float(nxt[0, ids[f"PITCH_{pitches[k]}"]])
        # playing note k would make a run of k intervals: boosted up to the limit, then
        # (the run at the limit) pushed back as hard as the strongest boost
        assert value == (pytest.approx(-math.log1p(BOOST)) if k > 12 else pytest.approx(math.log1p(BOOST))), k
        bias.advance(torch.tensor([ids[f"PITCH_{pitches[k]}"]]))
        bias.advance(torch.tensor([ids["CHORD_C_dom7"]]))
    unguarded = LickBias(toks, vocab, strength=1.0, fingerprint=None, copy_limit=12)
    ids = feed(unguarded, toks, pitches[:8])            # without a fingerprint: 12 boosts in a row
    assert float(unguarded.bias(0)[0, ids[f"PITCH_{pitches[8]}"]]) > 0


@pytest.mark.parametrize("limit,longest", [(12, range(0, 13)), (1000, range(30, 60))])
def test_a_take_pushed_along_a_training_line_copies_it_only_up_to_the_limit(monkeypatch, limit, longest):
    pitches, vocab, fp = copy_setup()
    ck = tiny_ckpt(1)
    ck.extras, ck.meta["corpus"] = fp.to_tensors(), {"fingerprint": fp.meta()}
    monkeypatch.setattr(licks, "licks_for", lambda ck: vocab)
    monkeypatch.setattr(lick_bias, "BOOST", 1e7)          # the licks all but decide every note
    monkeypatch.setattr(lick_bias, "COPY_LIMIT", limit)
    primer = line("primer", pitches[:8])
    take = generate_solo(ck, "| C7 |" * 48, JazzSettings(seed=2, licks=1.0, primer=primer, primer_bars=1,
                                                          pitch_low=48, pitch_high=84))
    assert fp.longest_copy(take.solo) in longest


def test_a_model_plays_its_own_tuned_strength_unless_told_otherwise(monkeypatch):
    from studio.music.generate import LICKS, tuned

    monkeypatch.setattr(licks, "licks_for", lambda ck: random_vocabulary())
    ck = tiny_ckpt()
    chart = "| Dm7 | G7 | Cmaj7 | % |"
    assert tuned(ck.meta, "licks") == LICKS
    assert generate_solo(ck, chart, JazzSettings(seed=3)).settings.licks == LICKS
    ck.meta["sampling"] = {"licks": 0.6}
    take = generate_solo(ck, chart, JazzSettings(seed=3, choruses=2))
    assert take.settings.licks == 0.6 and take.info["licks"].startswith("0.6 (")
    assert take.tokens == generate_solo(ck, chart, JazzSettings(seed=3, choruses=2, licks=0.6)).tokens
    assert generate_solo(ck, chart, JazzSettings(seed=3, licks=0.0)).info["licks"] == "off"
    for bad in ({"licks": 7}, {"licks": "0.5"}, {}, None):   # out of range, not a number: LICKS
        ck.meta["sampling"] = bad
        assert tuned(ck.meta, "licks") == LICKS
    with pytest.raises(ValueError, match="licks must be between 0"):
        JazzSettings(licks=1.5).validate()


def test_a_checkpoints_vocabulary_is_read_once(monkeypatch):
    # a live answer has a beat to be ready: the carried table is read and its sampling table
    # built on the first take only, not on every one
    ck = tiny_ckpt()
    vocab = random_vocabulary()
    ck.extras = vocab.to_tensors()
    ck.meta["corpus"] = {"sha256": "x", "licks": vocab.meta()}
    reads = []
    original = LickVocabulary.from_checkpoint.__func__
    monkeypatch.setattr(LickVocabulary, "from_checkpoint",
                        classmethod(lambda cls, c: reads.append(c) or original(cls, c)))
    first = licks.licks_for(ck)
    assert first is not None and first.patterns == vocab.patterns
    assert first._table is not None                       # built with the vocabulary
    assert licks.licks_for(ck) is first and len(reads) == 1
    assert licks.licks_for(tiny_ckpt()) is None           # another checkpoint: its own answer


# Issue 23: the copy guard's fallback (a checkpoint without a training fingerprint) was
# untested; without it the boost chained a whole training line (51 intervals here).
def test_without_a_fingerprint_the_guard_boosts_at_most_the_limit_in_a_row_then_resets():
    pitches, vocab, _ = copy_setup()
    toks = tokens()
    bias = LickBias(toks, vocab, strength=1.0, fingerprint=None, copy_limit=6)
    ids = feed(bias, toks, pitches[:1])

    def play(pitch):
        bias.advance(torch.tensor([ids[f"PITCH_{pitch}"]]))
        bias.advance(torch.tensor([ids["CHORD_C_dom7"]]))

    def boost_of(pitch):
        nxt = bias.bias(0)
        return 0.0 if nxt is None else float(nxt[0, ids[f"PITCH_{pitch}"]])

    values = []
    for k in range(1, 20):                 # follow the training line L note by note
        values.append(boost_of(pitches[k]))
        play(pitches[k])
    boosted = [k for k, v in enumerate(values, start=1) if v > 0]
    assert boosted == list(range(3, 9))    # from the first known context: 6 in a row, no more
    assert all(v == 0.0 for v in values[8:])   # no push-back without a fingerprint: just no boost
    last = pitches[19]
    off = next(p for p in range(last - 12, last + 12)
               if p - last not in bias.continuations(bias.rows[0].pitches))
    play(off)                              # a note the licks did not propose ends the count
    for k in range(0, 3):
        play(pitches[k])
    assert boost_of(pitches[3]) > 0        # boosting again along L after the break


@pytest.mark.parametrize("limit,most", [(12, 16), (6, 9), (1000, None)])
def test_without_a_fingerprint_a_take_pushed_along_a_training_line_is_cut_near_the_limit(
        monkeypatch, limit, most):
    pitches, vocab, fp = copy_setup()
    ck = tiny_ckpt(1)                      # no fingerprint in it: the fallback guard
    assert ck.extras is None or not ck.extras
    monkeypatch.setattr(licks, "licks_for", lambda ck: vocab)
    monkeypatch.setattr(lick_bias, "BOOST", 1e7)          # the licks all but decide every note
    monkeypatch.setattr(lick_bias, "COPY_LIMIT", limit)
    primer = line("primer", pitches[:8])
    for seed in (0, 2):
        take = generate_solo(ck, "| C7 |" * 48, JazzSettings(seed=seed, licks=1.0, primer=primer,
                                                              primer_bars=1, pitch_low=48, pitch_high=84))
        longest = fp.longest_copy(take.solo)
        if most is None:                   # the guard off: the whole line, so the test can see it
            assert longest > 40
        else:                              # the limit, and the net following on a few notes
            assert longest <= most, (seed, longest)

"""Vocab: construction rules, every refusal and its message, coding both ways, storage."""

import pytest

from studio.core.vocab import END, UNK, Vocab, VocabError


def test_specials_come_first_and_chars_are_sorted():
    v = Vocab.from_text(["ba", "", "ca\n"])
    assert v.tokens == [END, UNK, "\n", "a", "b", "c"]
    assert (v.end_id, v.unk_id, v.kind, len(v)) == (0, 1, "char", 6)
    assert Vocab.from_text("cab").tokens == [END, UNK, "a", "b", "c"]
    assert "a" in v and "z" not in v and END in v


def test_event_vocab_keeps_order_and_drops_given_specials():
    v = Vocab.from_tokens(["BAR", END, "POS_0", UNK, "PITCH_60"])
    assert v.tokens == [END, UNK, "BAR", "POS_0", "PITCH_60"] and v.kind == "event"
    assert Vocab.from_tokens(["a", "b"], kind="char").kind == "char"


@pytest.mark.parametrize("tokens,kind,message", [
    ([END, UNK, "a"], "word", "unknown vocabulary kind 'word'"),
    (["a", END, UNK], "char", "a vocabulary must start with <end> and <unk>"),
    ([END, "a", UNK], "char", "a vocabulary must start with <end> and <unk>"),
    ([END, UNK, "a", "a"], "char", "a vocabulary must not repeat a token"),
    ([END, UNK, "ab"], "char", "a char vocabulary holds single characters only"),
])
def test_bad_vocabularies_are_refused(tokens, kind, message):
    with pytest.raises(VocabError) as err:
        Vocab(tokens, kind=kind)
    assert str(err.value) == message  # word for word: the message is all the user sees


def test_a_vocabulary_is_a_char_one_unless_told():
    assert Vocab([END, UNK, "a"]).kind == "char"


def test_event_tokens_may_be_long():
    assert Vocab([END, UNK, "PITCH_60"], kind="event").index["PITCH_60"] == 2


def test_encode_and_decode():
    v = Vocab.from_text("abc \n")
    ids = v.encode("ab c\na")
    assert ids == [v.index[c] for c in "ab c\na"]
    assert v.decode(ids) == "ab c\na"
    assert v.decode([0, v.index["a"], 1, v.index["b"], 0]) == "a?b"  # <end> silent, <unk> as ?
    e = Vocab.from_tokens(["BAR", "POS_0"])
    assert e.encode(["BAR", "POS_0", "BAR"]) == [2, 3, 2]
    assert e.decode([0, 2, 3, 1]) == [END, "BAR", "POS_0", UNK]  # events keep every token


@pytest.mark.parametrize("seq,message", [
    ("abz", r"character 'z' \(U\+007A\) is not in the model's vocabulary \(position 3\)"),
    ("ab\nbz", r"character 'z' \(U\+007A\) is not in the model's vocabulary \(line 2, column 2\)"),
    ("a\x07", r"character U\+0007 is not in the model's vocabulary \(position 2\)"),
    ("a\nb\n\ta", r"character U\+0009 is not in the model's vocabulary \(line 3, column 1\)"),
])
def test_out_of_vocabulary_characters_are_named_with_where(seq, message):
    with pytest.raises(VocabError, match=message):
        Vocab.from_text("ab\n").encode(seq)


def test_out_of_vocabulary_events_and_specials():
    v = Vocab.from_tokens(["BAR", "POS_0"])
    with pytest.raises(VocabError, match=r"token 'PITCH_61' is not in the model's vocabulary \(position 2\)"):
        v.encode(["BAR", "PITCH_61"])
    with pytest.raises(VocabError, match=r"token '<end>' .*\(position 1\)"):  # specials are not input
        v.encode([END])
    assert v.encode(["BAR", "PITCH_61", UNK, END], policy="unk") == [2, 1, 1, 1]
    assert Vocab.from_text("ab").encode("a\nz", policy="unk") == [2, 1, 1]
    with pytest.raises(VocabError, match="unknown out-of-vocabulary policy 'skip'"):
        v.encode(["BAR"], policy="skip")


def test_token_text_for_probability_views():
    v = Vocab.from_text("a \n")
    assert [v.token_text(i) for i in range(len(v))] == ["<end>", "<unk>", "\u21b5", "\u2423", "a"]


def test_json_round_trip_and_refusals():
    for v in (Vocab.from_text("hello\n"), Vocab.from_tokens(["BAR", "POS_0"])):
        data = v.to_json()
        assert data == {"kind": v.kind, "tokens": v.tokens}
        assert Vocab.from_json(data) == v
    assert Vocab.from_json({"tokens": [END, UNK, "a"]}).kind == "char"  # the old default
    for bad in (None, [], {"kind": "char"}, {"tokens": "abc"}):
        with pytest.raises(VocabError, match="missing or malformed"):
            Vocab.from_json(bad)
    with pytest.raises(VocabError, match="must be strings"):
        Vocab.from_json({"tokens": [END, UNK, 3]})


def test_equality_and_repr():
    a = Vocab([END, UNK, "a"], kind="char")
    assert a == Vocab([END, UNK, "a"], kind="char")
    assert a != Vocab([END, UNK, "a"], kind="event")
    assert a != Vocab([END, UNK, "b"], kind="char")
    assert a != [END, UNK, "a"]
    assert repr(a) == "Vocab(char, 3 tokens)"

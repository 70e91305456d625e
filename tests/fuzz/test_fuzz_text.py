"""Fuzz: the chord and chart parsers (typed strings, charts up to past the bar cap) and the
names/text corpus readers (files of random bytes: binary, broken UTF-8, BOMs, CR/LF, NULs,
long lines; a text file rewritten between the reader's two passes)."""

import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import studio.domains  # noqa: F401
from studio.core.corpus import CorpusError
from studio.core import text_stream
from studio.core.data import load_corpus
from studio.core.vocab import Vocab
from studio.music.chart import MAX_CHART_BARS, ChartError, check_length, parse_chart
from studio.music.chords import ChordError, parse_chord

ROOTS = st.sampled_from(["C", "D", "Eb", "F#", "Bb", "G", "A", "B", "Cb", "E#", "H", "c", ""])
SUFFIX = st.text(alphabet="mj7-+o#b9135/()^adgsuØø°ΔMaltinsuh ", max_size=8)
KNOWN = st.sampled_from(["", "m7", "7", "maj7", "j7", "-7", "m7b5", "ø", "o7", "°7", "dim", "+",
                         "aug", "6", "m6", "7alt", "7#9", "79b", "sus", "sus4", "7sus", "-j7", "/E"])
CHORDS = st.one_of(st.builds(lambda r, s: r + s, ROOTS, SUFFIX), st.builds(lambda r, s: r + s, ROOTS, KNOWN),
                   st.text(max_size=12))
GOOD = st.sampled_from(["Dm7", "G7", "Cmaj7", "Bb7", "F#m7b5", "NC", "C-/Bb", "Ebj7911#", "A7alt", "C6"])
GOOD_BAR = st.lists(GOOD, min_size=1, max_size=5).map(" ".join)
BAR = st.one_of(GOOD_BAR, GOOD_BAR, GOOD_BAR, GOOD_BAR, st.just("%"), CHORDS)
CHART_TEXT = st.one_of(
    st.tuples(st.lists(BAR, max_size=24), st.sampled_from(["", "", "|:", ":|"]), st.integers(0, 24))
    .map(lambda t: "| " + " | ".join(t[0][:t[2]] + [t[1]] + t[0][t[2]:]) + " |"),
    st.lists(GOOD_BAR, min_size=1, max_size=16).map(lambda bars: "|: " + " | ".join(bars) + " :|"),
    st.text(alphabet="|:% \nABCDEFGb#mj7-+o/ NC3/4", max_size=120),
    st.lists(st.one_of(CHORDS, st.sampled_from(["|", "|:", ":|", "%", "\n", "3/4", "4/4", " "])),
             max_size=40).map(" ".join),
    st.text(max_size=60),
    # near and past the bar cap (issue 23 defect 8), with and without a repeat played out
    st.tuples(st.integers(900, 2100), GOOD_BAR, st.sampled_from(["", "|:", ":|"]))
    .map(lambda t: "| " + " | ".join([t[1]] * t[0]) + " " + t[2] + " |" if t[2] != "|:"
         else "|: " + " | ".join([t[1]] * t[0]) + " :|"))


@given(CHORDS)
def test_chord_parser(budget, symbol):
    chord, _ = budget("chord parser", (ChordError,))(parse_chord, symbol, what=repr(symbol)[:40])
    if chord is not None:
        assert 0 <= chord.root <= 11 and chord.token.startswith("CHORD_")


@given(CHART_TEXT, st.integers(1, 64))
def test_chart_parser(budget, text, choruses):
    def parse_and_check(text):
        chart = parse_chart(text)
        check_length(chart, choruses)
        return chart

    chart, _ = budget("chart parser", (ChartError,))(parse_and_check, text, what=f"{len(text)} characters")
    if chart is not None:
        assert chart.bar_count * choruses <= MAX_CHART_BARS
        spans = chart.to_spans(choruses)
        assert spans and spans[-1].end == chart.bar_count * choruses * 48


LINES = st.lists(st.one_of(st.text(max_size=80), st.sampled_from(["tyrannosaurus", "", "\t", "x" * 70])),
                 max_size=40)
RAW = st.one_of(
    st.binary(max_size=2000),
    st.text(min_size=90, max_size=3000).map(lambda t: t.encode("utf-8", "surrogatepass")),
    LINES.map(lambda ls: "\n".join(ls).encode("utf-8", "surrogatepass")),
    st.tuples(st.sampled_from([b"", b"\xef\xbb\xbf", b"\xff\xfe"]), LINES,
              st.sampled_from([b"\n", b"\r\n", b"\r"]), st.binary(max_size=8))
    .map(lambda t: t[0] + t[2].join(l.encode("utf-8", "surrogatepass") for l in t[1]) + t[3]),
)


@pytest.mark.parametrize("kind", ["names", "text"])  # each reader gets the profile's count
@given(data=RAW, val_fraction=st.sampled_from([0.1, 0.5, 0.9]))
def test_corpus_readers(budget, kind, data, val_fraction):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "corpus.txt"
        path.write_bytes(data)
        corpus, _ = budget(f"{kind} corpus reader", (CorpusError,))(load_corpus, path, kind,
                                                                     val_fraction=val_fraction,
                                                                     what=f"{len(data)} bytes")
    if corpus is not None:
        assert corpus.report["items"] > 0
        if kind == "names":
            assert corpus.train_items and corpus.val_items
        else:
            assert corpus.train_ids.numel() >= 2 and corpus.val_ids.numel() >= 2


def _scan_rewrite_encode(path: Path, after: bytes):
    """The text reader's two passes with the file rewritten in between (issue 23 defect 5)."""
    scan = text_stream.scan_text(path)
    path.write_bytes(after)
    vocab = Vocab.from_text(scan.chars())
    return text_stream.encode_text(scan, vocab)[0], vocab


TEXT = st.text(alphabet=st.characters(blacklist_characters="\x00\r", blacklist_categories=("Cs",)),
               min_size=1, max_size=400).map(str.encode)


@given(TEXT, st.data())
def test_text_changed_between_passes(budget, before, data):
    """Same length and other bytes, shorter, longer or identical: the ids are the file's own
    (every one inside the vocabulary) or the change is refused."""
    how = data.draw(st.sampled_from(["same length", "shorter", "longer", "identical"]))
    if how == "same length":
        at = data.draw(st.integers(0, len(before) - 1))
        new = data.draw(st.binary(min_size=1, max_size=len(before) - at))
        after = before[:at] + new + before[at + len(new):]
    elif how == "shorter":
        after = before[:data.draw(st.integers(0, len(before) - 1))]
    elif how == "longer":
        after = before + data.draw(st.binary(min_size=1, max_size=50))
    else:
        after = before
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "corpus.txt"
        path.write_bytes(before)
        result, error = budget("text changed between passes", (CorpusError,))(
            _scan_rewrite_encode, path, after, what=f"{how}, {len(before)} bytes")
    if error is not None and "changed while it was read" not in str(error):
        assert before.strip() == b"" or after == before, error  # an empty file: the scan refuses it
    if result is not None:
        ids, vocab = result
        assert after == before
        assert int(ids.max()) < len(vocab)
        assert ids.tolist() == vocab.encode(before.decode().replace("\r\n", "\n"))

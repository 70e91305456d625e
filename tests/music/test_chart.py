import pytest

from studio.music.chart import (PRESETS, ChartError, chart_bar_count, chart_to_spans,
                                parse_chart)
from studio.music.chords import parse_chord


def test_simple_chart_with_repeat_bar_and_halves():
    spans = chart_to_spans("| Dm7 | G7 | Cmaj7 | % |\n| Dm7 G7 | C6 |")
    assert [(s.start, s.end, s.chord.name) for s in spans] == [
        (0, 48, "Dm7"), (48, 96, "G7"), (96, 192, "Cmaj7"),
        (192, 216, "Dm7"), (216, 240, "G7"), (240, 288, "C6")]
    assert chart_bar_count("| Dm7 | G7 | Cmaj7 | % |\n| Dm7 G7 | C6 |") == 6


def test_choruses_and_repeats():
    chart = "|: C7 | F7 :| G7 |"
    assert parse_chart(chart).bar_count == 5
    assert chart_bar_count(chart, choruses=3) == 15
    spans = chart_to_spans(chart, choruses=2)
    assert spans[-1].end == 10 * 48 and spans[-1].chord == parse_chord("G7")
    three = chart_to_spans("| C7 F7 G7 |")
    assert [(s.start, s.end) for s in three] == [(0, 24), (24, 36), (36, 48)]


@pytest.mark.parametrize("text,where", [
    ("| Dm7 | Xq7 |", "bar 2: unknown chord symbol 'Xq7'"),
    ("| % | C7 |", "bar 1"),
    ("| C7 F7 G7 D7 E7 |", "bar 1: 5 chords"),
    ("| C7 | F7 :|", "':|' without"),
    ("|: C7 | F7 |", "never closed"),
    ("|  |", "no bars"),
])
def test_errors_name_the_bar(text, where):
    with pytest.raises(ChartError) as err:
        parse_chart(text)
    assert where in str(err.value)


def test_presets_parse_with_real_changes():
    bars = {name: parse_chart(text).bar_count for name, text in PRESETS.items()}
    assert bars == {"Bb blues": 12, "F blues": 12, "Rhythm changes (Bb)": 32,
                    "ii-V-I cycle": 24, "Modal vamp (D dorian)": 8}
    blues = chart_to_spans(PRESETS["Bb blues"])
    assert blues[0].chord == parse_chord("Bb7") and blues[-1].end == 12 * 48
    assert chart_to_spans(PRESETS["Modal vamp (D dorian)"]) == [
        chart_to_spans("| Dm7 |", 8)[0]]

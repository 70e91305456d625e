"""Chart parsing details the chart tests leave open: bar splits, repeats, errors, choruses."""

import pytest

from studio.music.chart import (Chart, ChartError, as_chart, chart_bar_count, chart_to_spans,
                                parse_chart)
from studio.music.chords import parse_chord


def spans(text, choruses=1):
    return [(s.start, s.end, s.chord.name) for s in chart_to_spans(text, choruses)]


def test_bar_splits_in_ticks():
    assert spans("| C7 F7 |") == [(0, 24, "C7"), (24, 48, "F7")]
    assert spans("| C7 F7 G7 |") == [(0, 24, "C7"), (24, 36, "F7"), (36, 48, "G7")]
    assert spans("| C7 F7 G7 D7 |") == [(0, 12, "C7"), (12, 24, "F7"), (24, 36, "G7"), (36, 48, "D7")]


def test_same_chord_across_bars_is_one_span_and_newlines_are_space():
    assert spans("| C7 |\r\n| C7 | F7 |\n") == [(0, 96, "C7"), (96, 144, "F7")]


def test_repeats_play_twice_and_percent_repeats_the_previous_bar():
    chart = parse_chart("|:C7|F7:|G7|")
    assert chart.bar_count == 5 and chart.text == "|:C7|F7:|G7|"
    assert [bar[0][1].name for bar in chart.bars] == ["C7", "F7", "C7", "F7", "G7"]
    assert spans("| Dm7 G7 | % |") == [(0, 24, "Dm7"), (24, 48, "G7"), (48, 72, "Dm7"), (72, 96, "G7")]
    assert parse_chart("|: C7 :|: F7 :|").bar_count == 4  # one repeat closes, the next opens


def test_choruses():
    assert spans("| C7 | F7 |", choruses=2) == [(0, 48, "C7"), (48, 96, "F7"), (96, 144, "C7"), (144, 192, "F7")]
    assert spans("| C7 | F7 |", choruses=0) == spans("| C7 | F7 |")  # at least once
    assert chart_bar_count("| C7 | F7 |", 3) == 6 and chart_bar_count("| C7 | F7 |", 0) == 2


def test_as_chart_takes_text_or_a_parsed_chart():
    chart = parse_chart("| C7 |")
    assert as_chart(chart) is chart
    assert as_chart("| C7 |") == chart and isinstance(chart, Chart)
    assert chart.bars == (((0, parse_chord("C7")),),)


@pytest.mark.parametrize("text,message", [
    ("|: C7 |: F7 :| :|", "bar 2: a repeat opens inside another repeat"),
    ("| C7 | Dm7 % |", "bar 2: '%' must stand alone in its bar"),
    ("| % |", "bar 1: '%' has no previous bar to repeat"),
    ("| C7 | F7 :|", "bar 2: ':|' without a matching '|:'"),
    ("|: C7 | F7 |", "a '|:' repeat is never closed with ':|'"),
    ("| C7 F7 G7 D7 E7 |", "bar 1: 5 chords in one bar (at most 4)"),
    ("", "the chart has no bars (write e.g. | Dm7 | G7 | Cmaj7 | % |)"),
    ("| C7 | H7 |", "bar 2: unknown chord symbol 'H7'"),
    ("| C7 | 3/4 F7 |", "bar 2: time signature 3/4: charts are 4/4 only (the jazz encoding is "
                       "4/4); write the tune in 4/4 bars"),
    ("| C7 | 4/4 |", "bar 2: no chord (a bar needs a chord, '%' or NC)"),
])
def test_errors_say_where_exactly(text, message):
    """Each message word for word: they are what the user reads in the window and CLI."""
    with pytest.raises(ChartError) as err:
        parse_chart(text)
    assert str(err.value) == message
    assert isinstance(err.value, ValueError)


def test_a_4_4_marking_changes_nothing():
    assert spans("| 4/4 Dm7 | G7 4/4 |") == spans("| Dm7 | G7 |") == [(0, 48, "Dm7"), (48, 96, "G7")]


def test_a_chart_is_capped_at_the_bars_a_midi_file_may_have():
    """Issue 23 defect 8: 100,000 bars (1.2 MB) were accepted; MIDI files stop at 2,000."""
    from studio.music.chart import MAX_CHART_BARS, check_length
    from studio.music.corpus.limits import MAX_BARS

    assert MAX_CHART_BARS == MAX_BARS
    assert parse_chart("| C7 " * 2000 + "|").bar_count == 2000
    for text in ["| C7 " * 2001 + "|", "|: C7 " + "| C7 " * 1000 + ":|", "| F7 " * 100_000 + "|"]:
        with pytest.raises(ChartError, match=r"^the chart has more than 2,000 bars \(repeats played out"):
            parse_chart(text)
    check_length(parse_chart("| C7 " * 125 + "|"), 16)
    with pytest.raises(ChartError, match=r"^17 choruses of 125 bars make 2,125 bars; at most 2,000"):
        check_length(parse_chart("| C7 " * 125 + "|"), 17)

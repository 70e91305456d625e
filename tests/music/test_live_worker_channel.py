"""The live worker's pipe: JSON lines that rebuild only the message dataclasses (no pickle)."""

from __future__ import annotations

import io
import pickle

import pytest

from studio.music.chart import parse_chart
from studio.music.generate import JazzSettings, Take
from studio.music.live.worker import _Channel
from studio.music.types import Note, Solo


def _through(obj):
    pipe = io.BytesIO()
    _Channel(None, pipe).send(obj)
    pipe.seek(0)
    return _Channel(pipe, None).recv()


def test_a_request_and_a_take_come_back_equal():
    chart = parse_chart("| Dm7 G7 | Cmaj7 | % |")
    primer = Solo("loop", [Note(0, 240, 62, 80), Note(240, 120, 65)], tempo=200.0)
    settings = JazzSettings(seed=4, tempo=200.0, primer=primer, primer_bars=1)
    take = Take(primer, "| Dm7 |", settings, "m", ["BAR", "PITCH_62"], seed=4, info={"a": 1.5})
    rid, chart2, settings2, take2 = _through((7, chart, settings, take))
    assert (rid, chart2, settings2, take2) == (7, chart, settings, take)
    assert hash(chart2) == hash(chart)          # a frozen dataclass gets its tuples back


def test_nothing_but_the_message_types_is_built_and_pickles_are_refused():
    evil = io.BytesIO(b'{"__dataclass__":"Popen","args":["touch","/tmp/x"]}\n')
    with pytest.raises(EOFError, match="unreadable message"):
        _Channel(evil, None).recv()
    with pytest.raises(EOFError, match="unreadable message"):
        _Channel(io.BytesIO(pickle.dumps(("ready", "m", None)) + b"\n"), None).recv()
    with pytest.raises(EOFError):
        _Channel(io.BytesIO(b""), None).recv()   # the other side is gone

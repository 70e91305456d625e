"""The live worker's pipe: JSON lines that rebuild only the message dataclasses (no pickle)."""

from __future__ import annotations

import io
import pickle
import time

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


# Issue 23 defect 7: whatever reaches the worker's pipe is bounded before it is used.
def test_unreadable_lines_are_a_typed_refusal_and_the_next_line_is_read_whole(monkeypatch):
    from studio.music.live import worker

    deep = b"[" * 100_000 + b"]" * 100_000 + b"\n"
    for line in [deep, b'{"a":' * 100_000 + b"1" + b"}" * 100_000 + b"\n"]:
        with pytest.raises(worker.UnreadableMessage, match="nested too deeply"):
            _Channel(io.BytesIO(line), None).recv()
    monkeypatch.setattr(worker, "MAX_MESSAGE_BYTES", 100)
    lines = [b"[" + b"1," * 80 + b"1]\n", b"[7]\n"]
    channel = _Channel(io.BytesIO(b"".join(lines)), None)
    with pytest.raises(worker.UnreadableMessage, match="longer than 100 bytes"):
        channel.recv()
    assert channel.recv() == [7]


@pytest.mark.parametrize("request_,words", [
    (42, "a list of 5 items"),
    ([1, 2], "a list of 5 items"),
    (["x", "| C7 |", JazzSettings(), 1, None], "request id"),
    ([1, 42, JazzSettings(), 1, None], "chart must be chart text"),
    ([1, "| C7 " * 300_000 + "|", JazzSettings(), 1, None], "at most 1,048,576"),
    ([1, "| C7 |", {"seed": 1}, 1, None], "settings must be JazzSettings"),
    ([1, "| C7 |", JazzSettings(count=10**9), 1, None], "settings.count must be 1..16"),
    ([1, "| C7 |", JazzSettings(primer_bars=10**9), 1, None], "primer_bars must be 0..2000"),
    ([1, "| C7 |", JazzSettings(primer="/dev/zero"), 1, None], "the primer must be"),
    ([1, "| C7 |", JazzSettings(), 10**9, None], "candidates must be 1..16"),
    ([1, "| C7 |", JazzSettings(), True, None], "candidates must be 1..16"),
    ([1, "| C7 |", JazzSettings(), 2, float("inf")], "deadline must be"),
    ([1, "| C7 |", JazzSettings(), 2, "soon"], "deadline must be"),
    ([1, "| C7 " * 100 + "|", JazzSettings(choruses=21), 1, None], "2,100 bars"),
])
def test_every_request_field_is_bounded(request_, words):
    from studio.music.live.worker import check_request

    with pytest.raises(ValueError, match=words):
        check_request(request_, 100.0)


def test_every_request_has_a_deadline_that_stops_even_the_first_take(monkeypatch):
    from studio.music import generate
    from studio.music.live import worker

    settings = JazzSettings(seed=1)
    *_, deadline = worker.check_request([3, "| C7 |", settings, 16, None], 100.0)
    assert deadline == 100.0 + worker.MAX_REQUEST_S
    assert worker.check_request([3, "| C7 |", settings, 16, 1e12], 100.0)[-1] == deadline
    assert worker.check_request([3, "| C7 |", settings, 16, 101.5], 100.0)[-1] == 101.5

    drawn = []

    def endless(ckpt, chart, settings, should_stop=None, on_step=None):
        while not should_stop():      # a take that would never end on its own
            time.sleep(0.005)
        drawn.append(settings.seed)
        return ["take"]

    monkeypatch.setattr(generate, "generate_takes", endless)
    monkeypatch.setattr(worker, "MAX_REQUEST_S", 0.3)
    began = time.monotonic()
    takes = worker._draw(None, "| C7 |", settings, 16, time.monotonic() + 0.2)
    assert takes == ["take"] and drawn == [1]             # one candidate, cut at the cap
    assert 0.25 < time.monotonic() - began < 2.0


def test_a_candidate_cut_at_the_deadline_is_never_offered(monkeypatch):
    from types import SimpleNamespace

    from studio.music import generate
    from studio.music.live import worker

    def draw(ckpt, chart, settings, should_stop=None, on_step=None):
        if settings.seed != 5:                  # later candidates: slower than the deadline
            while not should_stop():
                time.sleep(0.005)
            return [SimpleNamespace(seed=settings.seed, stopped=True)]
        return [SimpleNamespace(seed=settings.seed, stopped=False)]

    monkeypatch.setattr(generate, "generate_takes", draw)
    takes = worker._draw(None, "| C7 |", JazzSettings(seed=5), 4, time.monotonic() + 0.3)
    assert [t.seed for t in takes] == [5]       # the first, whole; the cut second dropped

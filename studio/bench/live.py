"""``sequence-studio live --bench``: live play measured on a real MIDI system.

1. Onset timing: a 64-bar take at 240 bpm (two choruses of rhythm changes) played by
   the engine into a JACK dummy-driver server; a listener in *another process* (a second
   JACK client, as a DAW would be) stamps every message as its callback gets it. Error =
   arrival - (t0 + the note's ideal time): p50, p99, max; drift = mean error over the
   last 8 bars minus over the first 8. Once on a quiet machine, once with a concurrent
   training run (the project's own ``train`` verb, both cores busy).
2. Answer latency in trading: 4-bar trades at 240 bpm with each shipped jazz model; a
   keyboard client plays phrases into the app's input; per answer, the time from the
   phrase cut to the answer being ready, and how long before its downbeat it was ready.
3. Echo (offline, no MIDI): share of the answer's pitch-interval 4-grams found in the
   player's phrase, for unprimed solos, primed answers and call-and-response answers over
   the same bars. Phrases: 4-bar windows of WJazzD solos when the corpus folder is given,
   else takes of the model itself.

Everything is reported with the machine's load average, JACK's mode and period.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from studio.music.live import clock as live_clock

TEMPO = 240.0
ONSET_CHART = "Rhythm changes (Bb)"     # 32 bars: two choruses = 64 bars


def _pct(values, q):
    values = sorted(values)
    if not values:
        return None
    return values[min(len(values) - 1, int(q * len(values)))]


def _ms(x):
    return None if x is None else round(1000 * x, 3)


def _stats(errors: list[float]) -> dict:
    return {"n": len(errors), "p50_ms": _ms(_pct(errors, 0.5)), "p99_ms": _ms(_pct(errors, 0.99)),
            "max_ms": _ms(max(errors) if errors else None),
            "min_ms": _ms(min(errors) if errors else None)}


class TrainingLoad:
    """A real training run beside the measurement: ``python -m studio train`` on a text
    corpus written here, sized to keep both cores busy; killed afterwards."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.proc: subprocess.Popen | None = None

    def __enter__(self):
        from studio.paths import assets_dir

        corpus = self.folder / "load.txt"
        names = (assets_dir() / "corpora" / "invented-names.txt").read_text(encoding="utf-8")
        corpus.write_text(names * 20, encoding="utf-8")
        cmd = [sys.executable, "-m", "studio", "train", "--corpus", str(corpus), "--kind", "text",
               "--hidden", "512", "--layers", "2", "--batch", "32", "--window", "128",
               "--epochs", "1000", "--out", str(self.folder / "load.safetensors"), "--jsonl"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(8.0)                          # past start-up: training steps running
        if self.proc.poll() is not None:
            raise RuntimeError("the training run beside the bench did not start")
        return self

    def __exit__(self, *exc):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        return False


class RemoteListener:
    """``python -m studio.bench.live_probe listen`` in its own process."""

    def __init__(self, client: str = "bench-listener"):
        self.proc = subprocess.Popen([sys.executable, "-m", "studio.bench.live_probe", "listen",
                                      client], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        line = self.proc.stdout.readline()
        self.port_name = json.loads(line)["ready"]

    def finish(self) -> list:
        out, _ = self.proc.communicate("", timeout=30)
        return json.loads(out)


def measure_onsets(ckpt, bars: int = 64, seed: int = 1) -> dict:
    """Play a ``bars``-bar take at 240 bpm into a listener in another process."""
    from studio.music.chart import PRESETS, parse_chart
    from studio.music.generate import JazzSettings, generate_solo
    from studio.music.live.engine import LiveEngine
    from studio.music.live.events import chart_slice, take_events
    from studio.music.live.ports import open_output

    chart = chart_slice(parse_chart(PRESETS[ONSET_CHART]), 0, bars)   # round the form
    take = generate_solo(ckpt, chart, JazzSettings(seed=seed, tempo=TEMPO))
    bar_s = 4 * 60.0 / TEMPO
    events = [e for e in sorted(take_events(take)) if e.message.type in ("note_on", "note_off")]
    listener = RemoteListener()
    engine = LiveEngine(open_output(listener.port_name, api="jack"))
    load_before = os.getloadavg()
    t0 = engine.start(live_clock.now() + 1.0)
    engine.schedule(events)
    engine.wait_until_done(timeout=bars * bar_s + 30)
    time.sleep(0.2)
    engine.stop()
    got = [(t, m) for t, m in listener.finish() if 0x80 <= m[0] < 0xA0]
    engine.close()
    # The listener hears the engine's notes in the order they were sent; all-notes-off at
    # start and stop are control changes and not counted.
    expected = [(t0 + e.time, e.message.bytes()) for e in events]
    mismatched = sum(1 for (_, a), (_, b) in zip(expected, got) if list(a) != list(b))
    errors = [t - ideal for (ideal, _), (t, _) in zip(expected, got)]
    first = [err for (ideal, _), err in zip(expected, errors) if ideal - t0 < 8 * bar_s]
    last = [err for (ideal, _), err in zip(expected, errors) if ideal - t0 >= (bars - 8) * bar_s]
    sent = [actual - ideal for ideal, actual, _ in engine.sent]
    return {"bars": bars, "tempo": TEMPO, "messages": len(expected), "received": len(got),
            "mismatched": mismatched, "arrival_error": _stats(errors),
            "send_lateness": _stats(sent),
            "drift_ms": _ms(statistics.mean(last) - statistics.mean(first)) if first and last else None,
            "first_8_bars_mean_ms": _ms(statistics.mean(first)) if first else None,
            "last_8_bars_mean_ms": _ms(statistics.mean(last)) if last else None,
            "engine_priority": engine.priority,
            "load_avg_before": [round(x, 2) for x in load_before],
            "load_avg_after": [round(x, 2) for x in os.getloadavg()]}


# -- phrases: what a player plays -------------------------------------------------------
def _bars_chart(spans, first_bar: int, bars: int):
    """A Chart of ``bars`` bars of a solo's chord spans, starting at ``first_bar``."""
    from studio.music.chart import TICKS_PER_BAR, Chart
    from studio.music.types import chord_at

    out = []
    for b in range(first_bar, first_bar + bars):
        base = b * TICKS_PER_BAR
        marks = [(0, chord_at(spans, base))]
        marks += [(s.start - base, s.chord) for s in spans
                  if base < s.start < base + TICKS_PER_BAR and s.chord != marks[-1][1]]
        out.append(tuple(marks))
    text = "| " + " | ".join(" ".join(c.name for _, c in bar) for bar in out) + " |"
    return Chart(text, tuple(out))


def phrase_windows(solos, count: int, bars: int = 4, seed: int = 0) -> list[tuple]:
    """``count`` (phrase Solo, answer Chart, continuation Solo) from 2*bars windows of
    solos: the phrase is the first half, the answer goes over the second half's chords,
    and the continuation is what the soloist actually played there."""
    import random

    from studio.music.types import Note, Solo

    rng = random.Random(seed)
    tpb = 48
    pool = [s for s in solos if s.bar_count >= 2 * bars + 1 and len(s.notes) >= 16]
    out = []
    while pool and len(out) < count:
        solo = rng.choice(pool)
        first = rng.randrange(0, solo.bar_count - 2 * bars)

        def cut(b0):
            lo, hi = b0 * tpb, (b0 + bars) * tpb
            return [Note(n.start - lo, min(n.duration, hi - n.start), n.pitch, n.velocity)
                    for n in solo.notes if lo <= n.start < hi]
        phrase_notes, answer_notes = cut(first), cut(first + bars)
        if len(phrase_notes) < 8 or len(answer_notes) < 4:
            continue
        chart = _bars_chart(solo.chords, first, bars)
        phrase = Solo("phrase", phrase_notes, chart.to_spans(1), tempo=TEMPO)
        answer_chart = _bars_chart(solo.chords, first + bars, bars)
        cont = Solo("continuation", answer_notes, answer_chart.to_spans(1), tempo=TEMPO)
        out.append((phrase, answer_chart, cont))
    return out


def model_solos(ckpt, count: int) -> list:
    """Phrases when no corpus is given: the model's own takes over the Bb blues."""
    from studio.music.chart import PRESETS
    from studio.music.generate import JazzSettings, generate_solo

    return [generate_solo(ckpt, PRESETS["Bb blues"], JazzSettings(seed=1000 + i, tempo=TEMPO,
                                                                   choruses=2)).solo
            for i in range(count)]


def measure_echo(ckpt, windows, candidates: int = 4, seed: int = 0) -> dict:
    """Mean echo share (and share of answers with any echo) per way of answering."""
    from dataclasses import replace

    from studio.music.generate import JazzSettings, generate_takes
    from studio.music.live.events import chart_slice
    from studio.music.live.trade import (CALL_RESPONSE_TEMPERATURE, echo_share, join_answer,
        motif_primer, pick_answer, restate_motif)

    rows = {"unprimed": [], "primed": [], "primed_best_of": [], "call_response": [],
            "call_response_model_part": [], "the_soloist_went_on": []}
    for i, (phrase, chart, cont) in enumerate(windows):
        base = JazzSettings(seed=seed + i, tempo=TEMPO)
        bars = chart.bar_count
        unprimed = generate_takes(ckpt, chart, base)[0]
        primed = generate_takes(ckpt, chart, replace(base, primer=phrase, primer_bars=bars))[0]
        best, cands = [], []
        motif = restate_motif(phrase, chart.bars[0][0][1], base.pitch_low, base.pitch_high)
        rest = chart_slice(chart, 1, bars - 1)
        for k in range(candidates):
            cool = replace(base, seed=seed + i + 7919 * k,
                           temperature=base.temperature * CALL_RESPONSE_TEMPERATURE)
            best += generate_takes(ckpt, chart, replace(cool, primer=phrase, primer_bars=bars))
            cands += generate_takes(ckpt, rest, replace(
                cool, primer=motif_primer(phrase, motif, chart), primer_bars=bars + 1))
        development = pick_answer(cands, phrase).solo
        rows["unprimed"].append(echo_share(unprimed.solo, phrase))
        rows["primed"].append(echo_share(primed.solo, phrase))
        rows["primed_best_of"].append(echo_share(pick_answer(best, phrase).solo, phrase))
        rows["call_response"].append(echo_share(join_answer(motif, development, chart, TEMPO), phrase))
        rows["call_response_model_part"].append(echo_share(development, phrase))
        rows["the_soloist_went_on"].append(echo_share(cont, phrase))
    return {name: {"mean_echo": round(statistics.mean(v), 4) if v else None,
                   "answers_with_echo": round(sum(x > 0 for x in v) / len(v), 3) if v else None,
                   "n": len(v)} for name, v in rows.items()}


def measure_trading(model_path, phrases, trades: int = 4, call_response: bool = False,
                    seed: int = 0) -> dict:
    """Trade 4s at 240 bpm over JACK: a keyboard client plays ``phrases`` (4-bar Solos)
    in the player's blocks; per answer, cut -> ready and ready -> downbeat."""
    import threading

    from studio.music.chart import PRESETS
    from studio.music.generate import JazzSettings
    from studio.music.live.engine import LiveEngine
    from studio.music.live.ports import open_input, open_output
    from studio.bench.live_probe import Keyboard, Listener
    from studio.music.live.trade import TradeSession, TradeSettings
    from studio.music.live.worker import GenerationWorker

    worker = GenerationWorker(model_path)
    worker.wait_ready()
    listener = Listener("bench-trade-listener")
    engine = LiveEngine(open_output(listener.port_name, api="jack"))
    session = TradeSession(engine, worker, PRESETS["Bb blues"], JazzSettings(seed=seed, tempo=TEMPO),
                           TradeSettings(bars=4, trades=trades, call_response=call_response))
    inp = open_input(None, api="jack", callback=session.recorder.handle)
    keyboard = Keyboard("Sequence Studio in", client="bench-keyboard")
    tick_s = 60.0 / TEMPO / 12
    block_s = 16 * 60.0 / TEMPO
    notes = []
    for k, phrase in enumerate(phrases[:trades]):
        base = 2 * k * block_s
        notes += [(base + n.start * tick_s, base + n.end * tick_s, n.pitch, n.velocity)
                  for n in phrase.notes]
    try:
        t0 = session.start()
        stop = threading.Event()
        player = threading.Thread(target=keyboard.play, args=(notes, t0, stop), daemon=True)
        player.start()
        session.wait(2 * trades * block_s + 60)
        stop.set()
        player.join(5)
    finally:
        session.stop()
        inp.close()
        keyboard.close()
        engine.close()
        listener.close()
        worker.close()
    answers = session.answers
    from_cut = [a["from_cut_s"] for a in answers]
    margin = [a["ready_before_downbeat_s"] for a in answers]
    first = [a["first_ready_before_downbeat_s"] for a in answers
             if a["first_ready_before_downbeat_s"] is not None]
    return {"model": Path(model_path).stem, "trades": len(answers), "call_response": call_response,
            "cut_to_ready_ms": {"p50": _ms(_pct(from_cut, 0.5)), "max": _ms(max(from_cut, default=None))},
            "first_answer_ready_before_downbeat_ms": {"min": _ms(min(first, default=None)),
                                                      "p50": _ms(_pct(first, 0.5))},
            "played_answer_ready_before_downbeat_ms": {"min": _ms(min(margin, default=None)),
                                                       "p50": _ms(_pct(margin, 0.5))},
            "late": sum(a["late"] for a in answers),
            "second_stage_used": sum(a["stage"] == 2 for a in answers),
            "candidates": [a["candidates"] for a in answers],
            "error": None if session.error is None else str(session.error)}


def _jack_server():
    """The running server named by JACK_DEFAULT_SERVER, else a dummy-driver one of ours."""
    import shutil

    from studio.bench.live_probe import DummyJack

    name = os.environ.get("JACK_DEFAULT_SERVER")
    if name and shutil.which("jack_lsp"):
        env = dict(os.environ, JACK_NO_START_SERVER="1")
        if subprocess.run(["jack_lsp"], env=env, capture_output=True).returncode == 0:
            return None, f"the running JACK server {name!r}"
    server = DummyJack().start()
    return server, server.describe()


def run_live_bench(quick: bool = False, corpus: str | None = None, log=print) -> dict:
    """Every figure above, as one JSON-ready dict (``log`` gets progress lines)."""
    import torch

    from studio.core.checkpoint import load_checkpoint
    from studio.paths import shipped_models_dir

    models = {m: shipped_models_dir() / f"{m}.safetensors" for m in ("jazz-lstm", "jazz-gru")}
    bars, trades, phrases_n = (8, 1, 4) if quick else (64, 4, 40)
    out = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                       "torch": torch.__version__, "platform": platform.platform()},
           "quick": quick}
    server, described = _jack_server()
    out["jack"] = described
    try:
        gru = load_checkpoint(models["jazz-gru"])
        if corpus:
            from studio.music.corpus.wjazzd import load_wjazzd

            solos = load_wjazzd(corpus).solos
            out["phrases"] = f"4-bar windows of WJazzD solos ({corpus})"
        else:
            solos = model_solos(gru, max(4, phrases_n // 4))
            out["phrases"] = "4-bar windows of jazz-gru's own takes over the Bb blues"
        windows = phrase_windows(solos, phrases_n, seed=7)
        phrases = [w[0] for w in windows]
        with tempfile.TemporaryDirectory() as tmp:
            for load in ("quiet", "training"):
                ctx = TrainingLoad(Path(tmp)) if load == "training" else _Nothing()
                with ctx:
                    log(f"onsets, {load}")
                    out.setdefault("onsets", {})[load] = measure_onsets(gru, bars=bars)
                    for name, path in models.items():
                        for cr in (False, True):
                            log(f"trading, {load}, {name}, call and response {cr}")
                            row = measure_trading(path, phrases, trades=trades, call_response=cr)
                            row["load_avg"] = [round(x, 2) for x in os.getloadavg()]
                            out.setdefault("trading", {}).setdefault(load, []).append(row)
        for name, path in models.items():
            log(f"echo, {name}")
            ck = gru if name == "jazz-gru" else load_checkpoint(path)
            out.setdefault("echo", {})[name] = measure_echo(ck, windows[: phrases_n])
    finally:
        if server is not None:
            server.stop()
    return out


class _Nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def main(argv=None) -> int:
    """``python -m studio.bench.live [--quick] [--corpus FOLDER]`` (= ``live --bench``)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m studio.bench.live")
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--corpus", help="WJazzD folder for the players' phrases")
    args = parser.parse_args(argv)
    result = run_live_bench(quick=args.quick, corpus=args.corpus,
                            log=lambda line: print(line, file=sys.stderr, flush=True))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

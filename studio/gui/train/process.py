"""The trainer as a child process: ``python -m studio train --jsonl ...`` in a QProcess.

The window never runs training itself: the CLI's trainer runs byte for byte, a crash
cannot take the window down, and the event loop only sees a few lines per second.
Lines are parsed as they arrive into a buffer; the Train tab drains it on a timer
(``take_events``) instead of redrawing per event.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, QTimer, Signal

log = logging.getLogger(__name__)

# Seconds the trainer gets after a stop request to write its resume checkpoint before a kill.
STOP_GRACE_S = 30


# 0 means "the trainer's default" for these (the kind's defaults): the flag is left out.
# (Patience 0 is "off" in the form, so it is sent: the names default of 6 would
# otherwise stop a run the form says never stops early.)
DEFAULT_WHEN_ZERO = ("max_steps", "eval_every")


@dataclass
class TrainOptions:
    """What the form collects, named as the train verb's destinations (TrainConfig's
    fields plus corpus/out/init-from/resume); ``to_args`` writes them as CLI flags."""

    corpus: str
    kind: str = "names"
    cell: str = "lstm"
    layers: int = 2
    hidden: int = 128
    embedding: int = 32
    dropout: float = 0.0
    lr: float = 3e-3
    batch_size: int = 32
    window: int = 64
    epochs: int = 10
    max_steps: int = 0          # 0 = no step limit (epochs decide)
    clip: float = 1.0           # 0 = off
    device: str = "auto"
    out: str = ""
    init_from: str = ""
    resume: str = ""
    seed: int | None = None
    eval_every: int = 0         # 0 = the trainer's default
    patience: int = 0           # 0 = off (no early stop)
    name: str = ""
    lead: str = ""              # jazz, MIDI files: the lead part; "" = auto
    extra: list[str] = field(default_factory=list)
    processes: int = 1          # local processes (torchrun): the launcher's, not a train flag

    def to_args(self) -> list[str]:
        """Every set field as its flag, spelled by the CLI's own train parser."""
        flags = train_flags()
        args = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("extra", "processes") or value is None or value == "" or \
                    (f.name in DEFAULT_WHEN_ZERO and not value):
                continue
            text = _num(value) if isinstance(value, float) else str(value)
            # a value that starts with "-" (a run called "-fast", a negative number) would be
            # read as a flag: glue it on as --flag=value
            args += [f"{flags[f.name]}={text}"] if text.startswith("-") else [flags[f.name], text]
        return args + list(self.extra)

    def label(self) -> str:
        """Legend label for overlaid runs, e.g. ``walk1: LSTM 2x128 clip 1`` (the run's
        model name first, when it has one)."""
        clip = f"clip {self.clip:g}" if self.clip else "no clip"
        settings = f"{self.cell.upper()} {self.layers}x{self.hidden} {clip}"
        return f"{self.name}: {settings}" if self.name else settings


def add_train_parser(subparsers) -> None:
    """The CLI's own ``train`` sub-parser (the one place the window imports the CLI)."""
    from studio.cli.train import add_parser

    add_parser(subparsers)


@lru_cache(maxsize=1)
def train_flags() -> dict[str, str]:
    """dest -> flag (``batch_size`` -> ``--batch``) from ``sequence-studio train``'s parser."""
    sub = argparse.ArgumentParser(add_help=False).add_subparsers()
    add_train_parser(sub)
    return {action.dest: action.option_strings[0]
            for action in sub.choices["train"]._actions if action.option_strings}


def _num(value: float) -> str:
    return f"{value:g}"


def parse_line(line: str) -> dict:
    """One stdout line -> event dict. Non-JSON lines become ``info`` events."""
    line = line.strip()
    if not line:
        return {}
    try:
        event = json.loads(line)
    except json.JSONDecodeError:
        return {"event": "info", "message": line}
    if not isinstance(event, dict) or "event" not in event:
        return {"event": "info", "message": line}
    return event


def train_command(args: list[str], processes: int = 1) -> tuple[str, list[str]]:
    """Program and arguments: the same ``train`` verb the CLI user types, asked to take
    its stop request as a line on stdin (Pause works where there is no SIGTERM). With
    ``processes`` > 1 the verb runs under torchrun: its workers share its stdin, and a
    stop read by any one of them stops all (docs/SCALING.md)."""
    verb = ["-m", "studio", "train", "--jsonl", "--control", "stdin", *args]
    if processes > 1:
        return sys.executable, ["-m", "torch.distributed.run", "--standalone",
                                "--nproc-per-node", str(processes), *verb]
    return sys.executable, verb


class TrainProcess(QObject):
    """One training run. ``finished(exit_code, crashed)`` fires when the process ends."""

    started = Signal()
    finished = Signal(int, bool)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.proc = QProcess(self)
        self.proc.setProcessEnvironment(_child_environment())
        self.proc.readyReadStandardOutput.connect(self._read_stdout)
        self.proc.readyReadStandardError.connect(self._read_stderr)
        self.proc.started.connect(self.started)
        self.proc.finished.connect(self._finished)
        self.proc.errorOccurred.connect(self._error)
        self._partial = b""
        self._events: list[dict] = []
        self.stderr_tail: list[str] = []
        self.stopping = False
        self._kill_timer = QTimer(self)
        self._kill_timer.setSingleShot(True)
        self._kill_timer.timeout.connect(self._kill)

    # -- control ---------------------------------------------------------------
    def start(self, args: list[str], processes: int = 1) -> None:
        """``processes`` > 1: under torchrun; each process gets its share of the threads."""
        self.proc.setProcessEnvironment(_child_environment(processes))
        program, argv = train_command(args, processes)
        log.info("train: %s %s", program, " ".join(argv))
        self.stopping = False
        self.proc.start(program, argv)

    def running(self) -> bool:
        return self.proc.state() != QProcess.ProcessState.NotRunning

    def request_stop(self) -> None:
        """A ``stop`` line on the trainer's stdin (``train --control stdin``): it finishes
        its step, writes a resume checkpoint and reports ``stopped``. No signal, so the
        same on Windows; a trainer that does not stop within STOP_GRACE_S is killed."""
        if not self.running() or self.stopping:
            return
        self.stopping = True
        if self.proc.write(b"stop\n") < 0:  # the pipe is gone (never on a live child): a signal
            log.warning("could not write to the trainer's stdin; sending it a signal")
            self.proc.terminate()
        self._kill_timer.start(STOP_GRACE_S * 1000)

    def kill(self) -> None:
        if self.running():
            self.proc.kill()

    def wait(self, ms: int = 10000) -> bool:
        return self.proc.waitForFinished(ms)

    # -- events ----------------------------------------------------------------
    def take_events(self) -> list[dict]:
        """Every event parsed since the last call (the tab's redraw timer drains this)."""
        events, self._events = self._events, []
        return events

    def _read_stdout(self) -> None:
        data = self._partial + bytes(self.proc.readAllStandardOutput())
        *lines, self._partial = data.split(b"\n")
        for raw in lines:
            event = parse_line(raw.decode("utf-8", "replace"))
            if event:
                self._events.append(event)

    def _read_stderr(self) -> None:
        text = bytes(self.proc.readAllStandardError()).decode("utf-8", "replace")
        for line in text.splitlines():
            if line.strip():
                log.info("trainer: %s", line)
                self.stderr_tail.append(line)
        # enough for a torchrun dump and the child's traceback before it (failure.py)
        del self.stderr_tail[:-2000]

    def _finished(self, code: int, status: QProcess.ExitStatus) -> None:
        self._kill_timer.stop()
        self._read_stdout()
        if self._partial:
            event = parse_line(self._partial.decode("utf-8", "replace"))
            self._partial = b""
            if event:
                self._events.append(event)
        crashed = status == QProcess.ExitStatus.CrashExit and not self.stopping
        self.finished.emit(code, crashed)

    def _error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self._events.append({"event": "error",
                                 "message": f"could not start the trainer: {self.proc.errorString()}"})
            self.finished.emit(-1, True)

    def _kill(self) -> None:
        log.warning("trainer did not stop within %ss; killing it", STOP_GRACE_S)
        self.kill()


def _child_environment(processes: int = 1) -> QProcessEnvironment:
    from studio.gui.shared import preferences

    env = QProcessEnvironment.systemEnvironment()
    env.insert("PYTHONUNBUFFERED", "1")  # one JSON line reaches us as soon as it is printed
    env.insert("PYTHONIOENCODING", "utf-8")
    # torch's intra-op threads (Preferences; auto = all cores but one, so the window
    # keeps a core while the trainer runs)
    threads = str(max(1, preferences.load().train_threads() // max(1, processes)))
    env.insert("OMP_NUM_THREADS", threads)
    env.insert("MKL_NUM_THREADS", threads)
    # Run from a source checkout too: make this very ``studio`` package importable.
    root = str(Path(__file__).resolve().parents[2])
    old = env.value("PYTHONPATH", "")
    env.insert("PYTHONPATH", root + (os.pathsep + old if old else ""))
    return env

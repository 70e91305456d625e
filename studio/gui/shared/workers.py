"""Background work for the window: nothing slow runs on the UI thread.

Two shapes cover every job:

* ``run_task(func, callback, owner)`` runs ``func()`` on a pool thread and calls
  ``callback(result, error)`` back on the UI thread through a queued signal (the
  shape of Picard's ``run_task``). Model loading, dataset reports, scoring and
  name generation go through it.
* ``StreamWorker`` is a QThread that iterates a generator (the engine's sampler)
  and forwards its items in small batches. ``stop()`` sets a flag checked between
  items; the generator is then closed, so the worker ends at once (Qt's
  mandelbrot example: abort flag, then ``wait``). ``CallbackWorker`` does the same
  for engine calls that take a ``should_stop`` poll. ``WorkerSet`` keeps a widget's
  running threads alive until they end.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from typing import Any, Callable, Iterable

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThread, QThreadPool, Signal

log = logging.getLogger(__name__)

_POOL: QThreadPool | None = None
_PENDING: set["_Relay"] = set()  # relays stay alive until their result is delivered


def pool() -> QThreadPool:
    """The window's own pool (kept apart from the global one so closing can wait on it)."""
    global _POOL
    if _POOL is None:
        _POOL = QThreadPool()
        # Two cores: one job at a time besides the UI keeps torch from oversubscribing.
        _POOL.setMaxThreadCount(2)
    return _POOL


class TaskError(Exception):
    """An exception raised inside a task, with the worker's traceback text attached."""

    def __init__(self, error: BaseException, trace: str):
        super().__init__(str(error))
        self.error = error
        self.trace = trace


class _Relay(QObject):
    # A parentless QObject living in the UI thread: a signal emitted on it from the
    # pool thread is queued to the UI thread's event loop.
    done = Signal(object, object)


class _Task(QRunnable):
    def __init__(self, func: Callable[[], Any], relay: _Relay):
        super().__init__()
        self.func = func
        self.relay = relay
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result = self.func()
        except BaseException as exc:  # the callback decides; never kill the pool thread
            log.debug("task failed", exc_info=True)
            self._deliver(None, TaskError(exc, traceback.format_exc()))
        else:
            self._deliver(result, None)

    def _deliver(self, result, error) -> None:
        try:
            self.relay.done.emit(result, error)
        except RuntimeError:  # the application is gone (the relay with it): no one to tell
            log.debug("a task ended after the application quit; its result is dropped")


def run_task(func: Callable[[], Any], callback: Callable[[Any, BaseException | None], None],
             owner: QObject | None = None) -> None:
    """Run ``func`` in the background; ``callback(result, error)`` runs on the UI thread.

    When ``owner`` (usually the calling widget) has been destroyed by the time the
    result arrives, the callback is skipped instead of touching a dead widget.
    """
    relay = _Relay()
    _PENDING.add(relay)

    def deliver(result, error):
        _PENDING.discard(relay)
        relay.deleteLater()
        if owner is not None and not shiboken6.isValid(owner):
            return
        callback(result, error)

    relay.done.connect(deliver)
    pool().start(_Task(func, relay))


def wait_for_tasks(timeout_ms: int = 5000) -> bool:
    """Block until background tasks finish (window close, tests)."""
    return pool().waitForDone(timeout_ms)


class StreamWorker(QThread):
    """Iterates ``make_iter()`` on its own thread.

    ``items`` carries a list of items, batched to at most one emit per
    ``interval`` seconds so a fast sampler cannot flood the event loop.
    ``finished_with(error)`` fires once, with ``None`` on success or stop.
    """

    items = Signal(list)
    finished_with = Signal(object)

    def __init__(self, make_iter: Callable[[], Iterable], interval: float = 0.03,
                 parent: QObject | None = None):
        super().__init__(parent)
        self._make_iter = make_iter
        self._interval = interval
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def run(self) -> None:
        error = None
        batch: list = []
        last = time.monotonic()
        iterator = None
        try:
            iterator = iter(self._make_iter())
            for item in iterator:
                if self._stop.is_set():
                    break
                batch.append(item)
                now = time.monotonic()
                if now - last >= self._interval:
                    self.items.emit(batch)
                    batch, last = [], now
        except BaseException as exc:
            log.debug("stream failed", exc_info=True)
            error = TaskError(exc, traceback.format_exc())
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                try:
                    close()  # ends the sampler's generator now, releasing its state
                except Exception:
                    log.debug("closing stream", exc_info=True)
        if batch:
            self.items.emit(batch)
        self.finished_with.emit(error)


class CallbackWorker(QThread):
    """Runs ``func(should_stop, report)`` on its own thread.

    For engine functions that take a ``should_stop`` poll and a progress callback
    (e.g. ``studio.music.generate.generate_solo``). ``report(value)`` may be called
    often; at most one ``progress`` signal per ``interval`` seconds reaches the UI.
    ``finished_with(result, error)`` fires once.
    """

    progress = Signal(object)
    finished_with = Signal(object, object)

    def __init__(self, func: Callable, interval: float = 0.1,
                 snapshot: Callable | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self._func = func
        # the engine may keep mutating what it reports (a growing token list): copy it
        # on this thread, only when a signal actually goes out
        self._snapshot = snapshot
        self._interval = interval
        self._stop = threading.Event()
        self._last = 0.0

    def stop(self) -> None:
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def _report(self, value) -> None:
        now = time.monotonic()
        if now - self._last >= self._interval:
            self._last = now
            self.progress.emit(self._snapshot(value) if self._snapshot else value)

    def run(self) -> None:
        try:
            result = self._func(self._stop.is_set, self._report)
        except BaseException as exc:
            log.debug("job failed", exc_info=True)
            self.finished_with.emit(None, TaskError(exc, traceback.format_exc()))
        else:
            self.finished_with.emit(result, None)


class WorkerSet:
    """The worker threads a widget started and that may still be running.

    ``start(worker)`` deletes the QThread only once ``run()`` has returned (deleting a
    running QThread aborts the process) and forgets it then; ``stop_all()`` (window
    close) stops each one and waits for it.
    """

    def __init__(self):
        self._threads: set[QThread] = set()

    def start(self, worker: QThread) -> None:
        worker.finished.connect(worker.deleteLater)
        self._threads.add(worker)
        worker.finished.connect(lambda w=worker: self._threads.discard(w))
        worker.start()

    def stop_all(self, timeout_ms: int = 5000) -> None:
        for worker in list(self._threads):
            if shiboken6.isValid(worker):
                worker.stop()
                worker.wait(timeout_ms)
        self._threads.clear()

    def __len__(self) -> int:
        return len(self._threads)

"""Live training curves (pyqtgraph): loss (train + validation) and gradient norm.

Curves are created once per run and fed with ``setData`` from the Train tab's
redraw timer (pyqtgraph's PanningPlot pattern), never per event. A curve never holds
more than ``MAX_POINTS`` points: when it would, neighbouring points merge (the mean
for the loss, the peak for the gradient norm, so an explosion stays visible), so a
redraw costs the same at step 100 and at step 100,000. Earlier runs stay on the plot
with their legend label, so two runs on one corpus can be compared ("LSTM clip 1.0"
against "RNN no clip").
"""

from __future__ import annotations

import math
from html import escape
from dataclasses import dataclass, field

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGraphicsItem, QLabel, QVBoxLayout, QWidget

# Distinct, colour-blind-friendly hues (Okabe-Ito); run i gets COLOURS[i % len].
COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
MAX_POINTS = 800    # per curve; more points than pixels only cost redraw time


class Series:
    """A curve's points, merged pairwise whenever there would be more than ``limit``.

    Each point stands for a bucket of ``bucket`` consecutive raw values (the last one
    may be partly filled): x is the bucket's last step, y its mean (``peak=False``) or
    its largest finite value (``peak=True``). Adding is O(1) amortised.
    """

    def __init__(self, peak: bool = False, limit: int = MAX_POINTS):
        self.peak = peak
        self.limit = limit
        self.bucket = 1
        self.x: list[float] = []
        self.y: list[float] = []
        self.n: list[int] = []       # raw values in each point
        self.count = 0               # raw values added

    def add(self, x: float, y: float) -> None:
        self.count += 1
        if self.n and self.n[-1] < self.bucket:
            self.x[-1] = x
            self.y[-1] = self._merge(self.y[-1], self.n[-1], y, 1)
            self.n[-1] += 1
            return
        self.x.append(x)
        self.y.append(y)
        self.n.append(1)
        if len(self.x) > self.limit:
            self._halve()

    def _merge(self, a: float, na: int, b: float, nb: int) -> float:
        if self.peak:
            finite = [v for v in (a, b) if math.isfinite(v)]
            return max(finite) if finite else math.nan
        return (a * na + b * nb) / (na + nb)

    def _halve(self) -> None:
        x, y, n = [], [], []
        for i in range(0, len(self.x) - 1, 2):
            x.append(self.x[i + 1])
            y.append(self._merge(self.y[i], self.n[i], self.y[i + 1], self.n[i + 1]))
            n.append(self.n[i] + self.n[i + 1])
        if len(self.x) % 2:  # an odd last point (possibly partly filled) stays as it is
            x.append(self.x[-1])
            y.append(self.y[-1])
            n.append(self.n[-1])
        self.x, self.y, self.n = x, y, n
        self.bucket *= 2


@dataclass
class RunCurves:
    """Data and plot items of one run."""

    label: str
    colour: str
    loss: Series = field(default_factory=Series)
    grad: Series = field(default_factory=lambda: Series(peak=True))
    val_steps: list[float] = field(default_factory=list)
    val: list[float] = field(default_factory=list)
    last_step: float | None = None
    items: dict = field(default_factory=dict)
    dirty: set = field(default_factory=set)     # plots with new data: "loss", "grad"

    @property
    def step_count(self) -> int:
        """Step events received (every one counts, however the curve merged them)."""
        return self.loss.count


class TrainPlots(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        pg.setConfigOptions(antialias=True)
        self.loss_plot = pg.PlotWidget(background="w")
        self.loss_plot.setTitle("Loss (nats per token)", color="#333", size="10pt")
        self.loss_plot.setLabel("bottom", "step")
        self.loss_plot.showGrid(x=True, y=True, alpha=0.2)
        # The key to the runs sits under the plots, not over them: drawn over the curves it
        # hid them on a 1000x700 screen (issue 25).
        self.legend = QLabel()
        self.legend.setWordWrap(True)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setStyleSheet("color: #222; font-size: 8pt")
        self.grad_plot = pg.PlotWidget(background="w")
        self.grad_plot.setTitle("Gradient norm (before clipping)", color="#333", size="10pt")
        self.grad_plot.setLabel("bottom", "step")
        self.grad_plot.showGrid(x=True, y=True, alpha=0.2)
        self.grad_plot.setXLink(self.loss_plot)
        for plot in (self.loss_plot, self.grad_plot):
            plot.setMinimumHeight(120)
            # Axes, titles and the legend keep a pixmap of themselves: a new curve point
            # repaints the plot, and replaying the tick text each time was most of it.
            item = plot.getPlotItem()
            for part in [item.getAxis(n) for n in ("left", "bottom")] + [item.titleLabel]:
                part.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.loss_plot, 3)
        layout.addWidget(self.grad_plot, 2)
        layout.addWidget(self.legend)
        self.runs: list[RunCurves] = []
        self._turn = "grad"
        self._x_max = 0
        self._user_y: set[str] = set()   # plots whose value axis the user zoomed or panned
        self._fitting = False
        for key, plot in (("loss", self.loss_plot), ("grad", self.grad_plot)):
            plot.getPlotItem().getViewBox().sigRangeChangedManually.connect(
                lambda *_a, k=key: self._user_moved(k))

    @property
    def current(self) -> RunCurves | None:
        return self.runs[-1] if self.runs else None

    def start_run(self, label: str, keep_previous: bool = True) -> RunCurves:
        """Begin a new set of curves; earlier runs stay (thinner) unless told otherwise."""
        if not keep_previous:
            self.clear()
        for old in self.runs:  # earlier runs fade, so the live one stands out
            self._restyle(old, live=False)
        label = unique_label(label, [r.label for r in self.runs])
        colour = COLOURS[len(self.runs) % len(COLOURS)]
        run = RunCurves(label, colour)
        # Noisy per-step curves use 1-pixel pens: antialiased wider pens cost Qt's raster
        # engine ~200 ms for 1000 points (measured), a frozen window at every redraw.
        run.items["loss"] = self.loss_plot.plot([], [])
        run.items["val"] = self.loss_plot.plot([], [], symbol="o", symbolSize=5,
                                               symbolBrush=colour, symbolPen=None)
        run.items["grad"] = self.grad_plot.plot([], [])
        self._restyle(run, live=True)
        self.runs.append(run)
        self._show_legend()
        return run

    @staticmethod
    def _restyle(run: RunCurves, live: bool) -> None:
        """The live run in full colour, earlier ones faded and thin."""
        for key, item in run.items.items():
            colour = QColor(run.colour)
            if not live:
                colour.setAlpha(110)
            style = Qt.PenStyle.DashLine if key == "val" else Qt.PenStyle.SolidLine
            item.setPen(pg.mkPen(colour, width=2.5 if live and key == "val" else 1, style=style))

    def _show_legend(self) -> None:
        """One line per run, in its colour: solid = train loss, dashed with dots =
        validation, the same colour in the gradient-norm plot."""
        rows = [f'<span style="color:{r.colour}">&#9632;</span> {escape(r.label)}'
                for r in self.runs]
        self.legend.setText(("&nbsp;&nbsp; ".join(rows) + "&nbsp;&nbsp; <span style='color:#666'>"
                             "(solid: train, dashed: validation)</span>") if rows else "")

    def drop_empty_run(self) -> None:
        """Forget the current run when it drew nothing (it failed at start-up): its key
        entry would name a run with no curve; the run before it is the live one again."""
        run = self.current
        if run is None or run.step_count or run.val:
            return
        for key, item in run.items.items():
            (self.grad_plot if key == "grad" else self.loss_plot).removeItem(item)
        self.runs.pop()
        if self.current is not None:
            self._restyle(self.current, live=True)
        self._show_legend()

    def snapshot(self) -> dict:
        """The current run's points as plain lists (a paused run's record in the settings)."""
        run = self.current
        if run is None:
            return {}
        return {"loss": [run.loss.x, run.loss.y], "grad": [run.grad.x, run.grad.y],
                "val": [run.val_steps, run.val]}

    def restore_run(self, label: str, points: dict) -> RunCurves:
        """A paused run from an earlier session, drawn as it was when it paused."""
        run = self.start_run(label, keep_previous=False)
        try:
            (lx, ly), (gx, gy), (vx, vy) = points["loss"], points["grad"], points["val"]
        except (KeyError, TypeError, ValueError):
            return run  # an older record without points: the curves start at Resume
        for x, loss, grad in zip(lx, ly, gy):
            self.add_step(x, loss, grad)
        for x, val in zip(vx, vy):
            self.add_eval(x, val)
        self.redraw()
        return run

    def continue_run(self) -> RunCurves:
        """Resume keeps drawing into the same curves."""
        return self.current or self.start_run("run")

    def add_step(self, step: float, loss: float | None, grad: float | None) -> None:
        run = self.continue_run()
        if loss is not None:
            run.loss.add(step, loss)
            run.grad.add(step, grad if grad is not None else math.nan)
            run.last_step = step
            run.dirty |= {"loss", "grad"}

    def add_eval(self, step: float, val_loss: float | None) -> None:
        run = self.continue_run()
        if val_loss is not None:
            run.val_steps.append(step)
            run.val.append(val_loss)
            run.dirty.add("loss")

    def redraw(self, plots=("loss", "grad")) -> None:
        """Push changed data into the curves of ``plots`` (the tab's timer)."""
        for run in self.runs:
            for plot in plots:
                if plot not in run.dirty:
                    continue
                if plot == "loss":
                    run.items["loss"].setData(run.loss.x, run.loss.y)
                    run.items["val"].setData(run.val_steps, run.val)
                else:
                    run.items["grad"].setData(run.grad.x, run.grad.y, connect="finite")
                run.dirty.discard(plot)
        for plot in plots:
            self._fit_y(plot)

    def _fit_y(self, plot: str) -> None:
        """Keep the value axis still unless the curves need it to move: it widens at once
        when a value falls outside it and narrows when the values use under a third of
        it. (pyqtgraph's auto-range rescales at every new minimum, and every rescale
        repaints the axis text.) A user's zoom or pan is left alone until the plot's
        "A" (auto-range) button is pressed."""
        view = (self.loss_plot if plot == "loss" else self.grad_plot).getPlotItem().getViewBox()
        if view.autoRangeEnabled()[1]:  # the start, or the user asked for auto-range again
            view.disableAutoRange(axis=view.YAxis)
            self._user_y.discard(plot)
        if plot in self._user_y:
            return
        values = []
        for run in self.runs:
            values += run.loss.y + run.val if plot == "loss" else run.grad.y
        finite = [v for v in values if math.isfinite(v)]
        if not finite:
            return
        low, high = min(finite), max(finite)
        span = max(high - low, 1e-6)
        shown_low, shown_high = view.viewRange()[1]
        if low < shown_low or high > shown_high or shown_high - shown_low > 3 * span:
            self._fitting = True
            view.setYRange(low - 0.1 * span, high + 0.1 * span, padding=0)
            self._fitting = False

    def _user_moved(self, plot: str) -> None:
        if not self._fitting:
            self._user_y.add(plot)

    def redraw_next(self) -> None:
        """Redraw one of the two plots, the other one next time: a frame never pays for
        both repaints (each is several ms of axis text and curve strokes)."""
        self._turn = "grad" if self._turn == "loss" else "loss"
        if not any(self._turn in run.dirty for run in self.runs):
            self._turn = "grad" if self._turn == "loss" else "loss"
        self.redraw((self._turn,))

    def set_total_steps(self, total: int) -> None:
        """Fix the step axis to the run's length (the widest of the runs shown).

        The curves then grow across a still axis: no re-scaled tick labels each frame
        (axis text is most of a plot's repaint), and the run's progress is visible."""
        if total <= 0 or total <= self._x_max:
            return
        self._x_max = total
        view = self.loss_plot.getPlotItem().getViewBox()
        view.setXRange(0, total, padding=0.02)  # x-linked: the grad plot follows

    def point_count(self) -> int:
        run = self.current
        return run.step_count if run else 0

    def clear(self) -> None:
        for run in self.runs:
            for key, item in run.items.items():
                (self.grad_plot if key == "grad" else self.loss_plot).removeItem(item)
        self.runs.clear()
        self._show_legend()
        self._x_max = 0
        self.loss_plot.getPlotItem().getViewBox().enableAutoRange(x=True)


def unique_label(label: str, taken: list[str]) -> str:
    """``label``, or ``label (n)`` with the first n not taken: a third run of the same
    settings is "(3)", not a second "(2)"."""
    if label not in taken:
        return label
    n = 2
    while f"{label} ({n})" in taken:
        n += 1
    return f"{label} ({n})"

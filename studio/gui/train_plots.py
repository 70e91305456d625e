"""Live training curves (pyqtgraph): loss (train + validation) and gradient norm.

Curves are created once per run and fed with ``setData`` from the Train tab's
redraw timer (pyqtgraph's PanningPlot pattern), never per event. Earlier runs stay
on the plot with their legend label, so two runs on one corpus can be compared
("LSTM clip 1.0" against "RNN no clip").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

# Distinct, colour-blind-friendly hues (Okabe-Ito); run i gets COLOURS[i % len].
COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]


@dataclass
class RunCurves:
    """Data and plot items of one run."""

    label: str
    colour: str
    steps: list[float] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    grad: list[float] = field(default_factory=list)
    val_steps: list[float] = field(default_factory=list)
    val: list[float] = field(default_factory=list)
    items: dict = field(default_factory=dict)
    dirty: bool = False


class TrainPlots(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        pg.setConfigOptions(antialias=True)
        self.loss_plot = pg.PlotWidget(background="w")
        self.loss_plot.setTitle("Loss (nats per token)", color="#333", size="10pt")
        self.loss_plot.setLabel("bottom", "step")
        self.loss_plot.showGrid(x=True, y=True, alpha=0.2)
        self.legend = self.loss_plot.addLegend(offset=(-10, 10), labelTextColor="#222")
        self.grad_plot = pg.PlotWidget(background="w")
        self.grad_plot.setTitle("Gradient norm (before clipping)", color="#333", size="10pt")
        self.grad_plot.setLabel("bottom", "step")
        self.grad_plot.showGrid(x=True, y=True, alpha=0.2)
        self.grad_plot.setXLink(self.loss_plot)
        for plot in (self.loss_plot, self.grad_plot):
            plot.setMinimumHeight(120)
            plot.getPlotItem().setDownsampling(auto=True, mode="peak")
            plot.getPlotItem().setClipToView(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.loss_plot, 3)
        layout.addWidget(self.grad_plot, 2)
        self.runs: list[RunCurves] = []

    @property
    def current(self) -> RunCurves | None:
        return self.runs[-1] if self.runs else None

    def start_run(self, label: str, keep_previous: bool = True) -> RunCurves:
        """Begin a new set of curves; earlier runs stay (thinner) unless told otherwise."""
        if not keep_previous:
            self.clear()
        for old in self.runs:
            for key, item in old.items.items():
                pen = item.opts["pen"]
                item.setPen(pg.mkPen(pen.color(), width=1,
                                     style=Qt.PenStyle.DashLine if key == "val" else Qt.PenStyle.SolidLine))
        labels = [r.label for r in self.runs]
        if label in labels:  # "LSTM clip 1.0 (2)": legends must tell runs apart
            label = f"{label} ({labels.count(label) + 1})"
        colour = COLOURS[len(self.runs) % len(COLOURS)]
        run = RunCurves(label, colour)
        pen = pg.mkPen(colour, width=2)
        run.items["loss"] = self.loss_plot.plot([], [], pen=pg.mkPen(colour, width=1.5),
                                                name=f"{label} train")
        run.items["val"] = self.loss_plot.plot(
            [], [], pen=pg.mkPen(colour, width=2.5, style=Qt.PenStyle.DashLine),
            symbol="o", symbolSize=5, symbolBrush=colour, symbolPen=None, name=f"{label} val")
        run.items["grad"] = self.grad_plot.plot([], [], pen=pen)
        self.runs.append(run)
        return run

    def continue_run(self) -> RunCurves:
        """Resume keeps drawing into the same curves."""
        return self.current or self.start_run("run")

    def add_step(self, step: float, loss: float | None, grad: float | None) -> None:
        run = self.continue_run()
        if loss is not None:
            run.steps.append(step)
            run.loss.append(loss)
            run.grad.append(grad if grad is not None else float("nan"))
            run.dirty = True

    def add_eval(self, step: float, val_loss: float | None) -> None:
        run = self.continue_run()
        if val_loss is not None:
            run.val_steps.append(step)
            run.val.append(val_loss)
            run.dirty = True

    def redraw(self) -> None:
        """Push changed data into the curves (called by the tab's timer)."""
        for run in self.runs:
            if not run.dirty:
                continue
            run.items["loss"].setData(run.steps, run.loss)
            run.items["grad"].setData(run.steps, run.grad, connect="finite")
            run.items["val"].setData(run.val_steps, run.val)
            run.dirty = False

    def point_count(self) -> int:
        run = self.current
        return len(run.steps) if run else 0

    def clear(self) -> None:
        for run in self.runs:
            for key, item in run.items.items():
                (self.grad_plot if key == "grad" else self.loss_plot).removeItem(item)
        self.runs.clear()
        self.legend.clear()

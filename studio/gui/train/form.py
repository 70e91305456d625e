"""The Train tab's form: corpus and kind, architecture, optimiser, start point.

It produces a ``TrainOptions`` (the train CLI's flags) and knows nothing about the
process that runs them.
"""

from __future__ import annotations

import math
import os
import re
import time
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QGroupBox,
                               QHBoxLayout, QLineEdit, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from studio.core.devices import device_choices, present_devices
from studio.core.domain import DomainError, domains
from studio.core.training.trainer import kind_defaults
from studio.gui.shared import recent
from studio.gui.models.picker import entry_summary
from studio.gui.train.process import TrainOptions

EVALS_PER_RUN = 20  # "auto" evaluation interval: about this many points on the curve


def _spin(low, high, value, step=1, tip="") -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setValue(value)
    box.setToolTip(tip)
    return box


def _dspin(low, high, value, step, decimals, tip="") -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setDecimals(decimals)
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setValue(value)
    box.setToolTip(tip)
    return box


class TrainForm(QWidget):
    corpus_changed = Signal()     # path or kind changed: a new dataset report is due

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.entries: list = []
        # -- corpus
        self.corpus = QLineEdit()
        self.corpus.setPlaceholderText("a .txt file, a folder of MIDI files, …")
        self.corpus.editingFinished.connect(self.corpus_changed)
        file_button = QPushButton("File…")
        folder_button = QPushButton("Folder…")
        file_button.clicked.connect(self._pick_file)
        folder_button.clicked.connect(self._pick_folder)
        self.corpus.textChanged.connect(lambda text: self.corpus.setToolTip(text))
        pick = QHBoxLayout()
        pick.addStretch(1)
        pick.addWidget(file_button)
        pick.addWidget(folder_button)
        self.kind = QComboBox()
        for domain in domains():  # every registered domain, in registration order
            self.kind.addItem(domain.label, domain.name)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        # jazz, own MIDI files: which part is the melody (the report names the part taken)
        self.lead = QLineEdit()
        self.lead.setPlaceholderText("auto")
        self.lead.setToolTip("The part of each MIDI file to learn as the melody: (part of) its "
                             "track name, or its number as the dataset report lists the parts. "
                             "Empty or auto: picked by track name, instrument and range.")
        self.lead.editingFinished.connect(self._lead_edited)
        self._lead_seen = ""
        corpus_box = QGroupBox("Corpus")
        self.corpus_form = QFormLayout(corpus_box)
        self.corpus_form.addRow(self.corpus)
        self.corpus_form.addRow(pick)
        self.corpus_form.addRow("&Kind", self.kind)
        self.corpus_form.addRow("Le&ad", self.lead)
        self.corpus_form.setRowVisible(self.lead, self.kind.currentData() == "jazz")

        # -- start point
        self.init_from = QComboBox()
        self.init_from.setToolTip("Fine-tuning keeps the chosen model's architecture and "
                                  "vocabulary and trains it further on your corpus")
        self.init_from.currentIndexChanged.connect(self._start_changed)
        self.name = QLineEdit()
        self.name.setPlaceholderText("library name (default: corpus-cell-date)")

        # -- architecture
        self.cell = QComboBox()
        for cell in ("lstm", "gru", "rnn"):
            self.cell.addItem(cell.upper(), cell)
        self.layers = _spin(1, 8, 2, tip="Stacked recurrent layers")
        self.hidden = _spin(8, 4096, 128, 32, "Units per layer")
        self.embedding = _spin(4, 1024, 32, 8, "Token embedding size")
        self.dropout = _dspin(0.0, 0.9, 0.0, 0.05, 2, "Dropout between layers (0 = off)")
        self.arch_box = QGroupBox("Network")
        arch = QFormLayout(self.arch_box)
        arch.addRow("&Cell", self.cell)
        arch.addRow("&Layers", self.layers)
        arch.addRow("&Hidden", self.hidden)
        arch.addRow("&Embedding", self.embedding)
        arch.addRow("&Dropout", self.dropout)

        # -- optimiser
        self.lr = _dspin(1e-5, 1.0, 3e-3, 5e-4, 5, "AdamW learning rate (peak)")
        self.batch = _spin(1, 4096, 32, 8, "Sequences per step")
        self.window = _spin(8, 4096, 64, 16, "Truncated BPTT window (text and jazz)")
        self.epochs = _spin(1, 10000, 10, tip="Passes over the training split")
        self.max_steps = _spin(0, 10_000_000, 0, 100, "Stop after this many steps (0 = epochs decide)")
        self.max_steps.setSpecialValueText("no limit")
        self.clip = _dspin(0.0, 100.0, 1.0, 0.25, 2, "Gradient-norm clipping (0 = off)")
        self.clip.setSpecialValueText("off")
        self.eval_every = _spin(0, 1_000_000, 0, 50, "Validate (and checkpoint) every N steps "
                                "(auto: about 20 times per run)")
        self.eval_every.setSpecialValueText("auto")
        self.patience = _spin(0, 1000, 0, tip="Early stop after N evaluations without improvement")
        self.patience.setSpecialValueText("off")
        self.seed = _spin(0, 2**31 - 1, 1337, tip="Random seed of the run")
        gpus = sum(line.startswith("cuda:") for line in present_devices())
        self.processes = _spin(1, max(1, os.cpu_count() or 1, gpus), 1, tip=(
            "Train on N local processes (torchrun, DistributedDataParallel): each takes its share "
            "of every batch, so the run equals one process's; one per GPU, or per few CPU cores"))
        self.device = QComboBox()
        for name, available, reason in device_choices():
            self.device.addItem(name.upper() if name != "auto" else "Auto", name)
            index = self.device.count() - 1
            self.device.setItemData(index, reason, 3)  # Qt.ToolTipRole
            if not available:
                self.device.model().item(index).setEnabled(False)
        opt_box = QGroupBox("Training")
        opt = QFormLayout(opt_box)
        opt.addRow("Learning &rate", self.lr)
        opt.addRow("&Batch", self.batch)
        opt.addRow("&Window", self.window)
        opt.addRow("E&pochs", self.epochs)
        opt.addRow("&Max steps", self.max_steps)
        opt.addRow("Cli&pping", self.clip)
        opt.addRow("E&val every", self.eval_every)
        opt.addRow("Pa&tience", self.patience)
        opt.addRow("&Seed", self.seed)
        opt.addRow("De&vice", self.device)
        opt.addRow("Pro&cesses", self.processes)

        start_box = QGroupBox("Start from")
        start = QFormLayout(start_box)
        start.addRow("&Model", self.init_from)
        start.addRow("&Save as", self.name)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(corpus_box)
        layout.addWidget(start_box)
        layout.addWidget(self.arch_box)
        layout.addWidget(opt_box)
        layout.addStretch(1)
        self._fill_init_from()

    # -- corpus ----------------------------------------------------------------
    def _pick_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Corpus file", recent.folder("corpus"),
                                              "Text or MIDI (*.txt *.mid *.midi *.csv);;All files (*)")
        if path:
            self.set_corpus(path)

    def _pick_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Corpus folder", recent.folder("corpus"))
        if path:
            self.set_corpus(path)

    def set_corpus(self, path: str, kind: str | None = None) -> None:
        """Use ``path`` as the corpus (a dialog, a drop, File > Open Recent)."""
        if Path(path).exists():
            recent.remember_folder("corpus", str(Path(path).parent))
            recent.add_file("corpus", path)
        self.corpus.setText(path)
        if kind is None:
            kind = guess_kind(path)
        index = self.kind.findData(kind)
        if index >= 0 and index != self.kind.currentIndex():
            self.kind.setCurrentIndex(index)  # emits corpus_changed via _kind_changed
        else:
            self.corpus_changed.emit()

    def _kind_changed(self) -> None:
        self.corpus_form.setRowVisible(self.lead, self.kind.currentData() == "jazz")
        self._fill_init_from()
        self.corpus_changed.emit()

    def lead_choice(self) -> str:
        """The Lead field as the train verb's ``--lead`` ("" = auto; jazz only)."""
        if self.kind.currentData() != "jazz":
            return ""
        text = self.lead.text().strip()
        return "" if text.lower() == "auto" else text

    def _lead_edited(self) -> None:
        if self.lead_choice() != self._lead_seen:  # another part: the report is due again
            self._lead_seen = self.lead_choice()
            self.corpus_changed.emit()

    def report_options(self) -> dict:
        """Corpus options the dataset report must read the corpus with (as the run will)."""
        return {"lead": self.lead_choice()} if self.lead_choice() else {}

    # -- fine-tuning -----------------------------------------------------------
    def set_models(self, entries: list) -> None:
        self.entries = list(entries)
        self._fill_init_from()

    def _fill_init_from(self) -> None:
        keep = self.init_from.currentData()
        self.init_from.blockSignals(True)
        self.init_from.clear()
        self.init_from.addItem("Scratch (random weights)", "")
        kind = self.kind.currentData()
        for entry in self.entries:
            if (entry.meta or {}).get("domain") == kind:
                self.init_from.addItem("Fine-tune " + entry_summary(entry), str(entry.path))
        index = self.init_from.findData(keep) if keep else 0
        self.init_from.setCurrentIndex(max(0, index))
        self.init_from.blockSignals(False)
        self._start_changed()

    def _start_changed(self) -> None:
        # fine-tuning keeps the checkpoint's architecture: the trainer ignores these fields
        self.arch_box.setEnabled(not self.init_from.currentData())

    # -- result ----------------------------------------------------------------
    def options(self, out: str) -> TrainOptions:
        return TrainOptions(
            corpus=self.corpus.text().strip(), kind=self.kind.currentData(),
            cell=self.cell.currentData(), layers=self.layers.value(), hidden=self.hidden.value(),
            embedding=self.embedding.value(), dropout=self.dropout.value(), lr=self.lr.value(),
            batch_size=self.batch.value(), window=self.window.value(), epochs=self.epochs.value(),
            max_steps=self.max_steps.value(), clip=self.clip.value(),
            device=self.device.currentData() or "auto", out=out,
            init_from=self.init_from.currentData() or "", seed=self.seed.value(),
            eval_every=self.eval_every.value(), patience=self.patience.value(),
            name=self.model_name(), lead=self.lead_choice(), processes=self.processes.value())

    def model_name(self) -> str:
        name = self.name.text().strip()
        if name:
            return name
        stem = Path(self.corpus.text().strip() or "corpus").stem or "corpus"
        return f"{stem}-{self.cell.currentData()}-{time.strftime('%Y%m%d-%H%M')}"

    FIELDS = ("layers", "hidden", "embedding", "dropout", "lr", "batch", "window", "epochs",
              "max_steps", "clip", "eval_every", "patience", "seed", "processes")

    def save_to(self, group) -> None:
        group.set("corpus", self.corpus.text())
        group.set("kind", self.kind.currentData())
        group.set("cell", self.cell.currentData())
        group.set("device", self.device.currentData())
        group.set("lead", self.lead.text())
        for name in self.FIELDS:
            group.set(name, getattr(self, name).value())

    def restore_from(self, group) -> None:
        for name in self.FIELDS:
            box = getattr(self, name)
            value = group.get(name, None, float if isinstance(box, QDoubleSpinBox) else int)
            if value is not None:
                box.setValue(value)
        for combo, key in ((self.cell, "cell"), (self.device, "device"), (self.kind, "kind")):
            index = combo.findData(group.get(key))
            if index >= 0 and combo.model().item(index).isEnabled():
                combo.setCurrentIndex(index)
        self.lead.setText(group.get("lead") or "")
        self._lead_seen = self.lead_choice()
        corpus = group.get("corpus")
        if corpus:
            self.corpus.setText(corpus)


def guess_kind(path: str) -> str:
    """A first guess the user can change: MIDI means jazz, short lines mean names."""
    p = Path(path)
    if p.is_dir() or p.suffix.lower() in (".mid", ".midi", ".csv"):
        return "jazz"
    try:
        with p.open(encoding="utf-8", errors="replace") as handle:
            head = handle.read(20000)
    except OSError:
        return "text"
    lines = [line for line in head.splitlines() if line.strip()]
    if lines and max(len(line) for line in lines) <= 30 and not re.search(r"[.,;:!?]", head):
        return "names"
    return "text"


def estimated_steps(options: TrainOptions, report: dict | None) -> int:
    """The run's length in steps as the trainer will count it (0: unknown)."""
    report = report or {}
    if options.kind == "names" and report.get("train_items"):
        per_epoch = math.ceil(report["train_items"] / options.batch_size)
    elif report.get("train_tokens"):
        per_epoch = max(1, report["train_tokens"] // (options.batch_size * options.window))
    else:
        per_epoch = 0
    total = options.max_steps or 0
    if per_epoch:
        total = min(total, per_epoch * options.epochs) if total else per_epoch * options.epochs
    return total


def auto_eval_every(options: TrainOptions, report: dict | None) -> int:
    """An evaluation interval giving about ``EVALS_PER_RUN`` validation points, at most the
    kind's own default (a short run must not end with two points and a straight line)."""
    try:
        default = kind_defaults(options.kind).get("eval_every", 200)
    except DomainError:
        default = 200
    total = estimated_steps(options, report)
    return max(1, min(default, total // EVALS_PER_RUN)) if total else default

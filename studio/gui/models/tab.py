"""The Models tab: the library of shipped and user models.

A table from ``studio.core.library.list_models()`` (headers only, read in a worker
by the main window), a details pane with the model card (the ``.md`` beside the
checkpoint) and its metadata, and import / export / rename / delete through the
library functions the CLI's ``models`` verb uses. Shipped models are read-only.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QFileDialog, QHBoxLayout, QInputDialog, QLabel,
                               QMessageBox, QPushButton, QTableWidgetItem, QTextBrowser,
                               QVBoxLayout, QWidget)

from studio.core import library
from studio.core.checkpoint import CheckpointError, read_metadata
from studio.gui.models import cache as model_cache
from studio.gui.shared import recent
from studio.gui.shared.errors import show_error
from studio.gui.shared.layout import fill_tab, result_table, splitter
from studio.gui.shared.settings import Group
from studio.gui.shared.workers import run_task

COLUMNS = ["Name", "Domain", "Cell", "Size", "Parameters", "Val. NLL", "Corpus", "Date", "Source"]
VAL_TIP = ("Validation NLL in nats per token over every token of the held-out data. For jazz "
           "that includes the bar, position and chord tokens the chart forces; the README and "
           "the model cards compare jazz models per note-event token (the onsets, pitches and "
           "durations the model chooses), which is higher.")


def _params(n) -> str:
    if not isinstance(n, (int, float)):
        return "?"
    return f"{n / 1e6:.2f} M" if n >= 1e6 else f"{n / 1e3:.0f} k"


def val_text(entry) -> str:
    """'1.378 / token'; a jazz model also shows its note-event figure when it has one."""
    metrics = (entry.meta or {}).get("metrics") or {}
    val, notes = metrics.get("val_nll"), metrics.get("val_nll_note_events")
    if not isinstance(val, (int, float)):
        return "-"
    text = f"{val:.3f} / token"
    if isinstance(notes, (int, float)):
        text += f" ({notes:.3f} / note event)"
    return text


def row_cells(entry) -> list[str]:
    s = entry.summary()
    return [s["name"], s.get("domain") or "?", str(s.get("cell") or "?").upper(), s.get("size") or "?",
            _params(s.get("parameters")), val_text(entry),
            s.get("corpus") or "-", (s.get("created") or "")[:10] or "-",
            "shipped" if entry.shipped else "yours"]


class ModelsTab(QWidget):
    library_changed = Signal()
    use_model = Signal(str)        # path: generate with this model

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.entries: list = []
        self._pending_select: str | None = None   # select this model after the next refresh
        self.table = result_table(COLUMNS, stretch=0)
        self.table.horizontalHeaderItem(COLUMNS.index("Val. NLL")).setToolTip(VAL_TIP)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSortingEnabled(True)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _i: self._use())

        self.details = QTextBrowser()
        self.details.setOpenExternalLinks(True)
        self.import_button = QPushButton("&Import…")
        self.import_button.setToolTip("Add a checkpoint file to your library (it is validated first)")
        self.export_button = QPushButton("&Export…")
        self.rename_button = QPushButton("&Rename…")
        self.delete_button = QPushButton("&Delete")
        self.use_button = QPushButton("&Generate with it")
        self.import_button.clicked.connect(self.import_dialog)
        self.export_button.clicked.connect(self.export_selected)
        self.rename_button.clicked.connect(lambda: self.rename_selected())
        self.delete_button.clicked.connect(lambda: self.delete_selected())
        self.use_button.clicked.connect(self._use)
        buttons = QHBoxLayout()
        for button in (self.import_button, self.export_button, self.rename_button,
                       self.delete_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.use_button)
        self.status = QLabel()
        self.status.setStyleSheet("color: #555")

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.table, 1)
        top_layout.addLayout(buttons)
        top_layout.addWidget(self.status)
        self.splitter = splitter(Qt.Orientation.Vertical, [top, self.details], [380, 300])
        fill_tab(self, self.splitter)
        self._selection_changed()

    # -- table -----------------------------------------------------------------
    def set_models(self, entries: list, unreadable: list = ()) -> None:
        """The library's models, and the files in it that cannot be read (named, with the
        reason, in the status line's tooltip: the same listing as `sequence-studio models`)."""
        selected = self.selected()
        keep = self._pending_select or (str(selected.path) if selected else None)
        self._pending_select = None
        self.entries = list(entries)
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(entries))
        for row, entry in enumerate(entries):
            for col, text in enumerate(row_cells(entry)):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, str(entry.path))
                item.setToolTip(VAL_TIP if COLUMNS[col] == "Val. NLL" else str(entry.path))
                if entry.shipped:
                    item.setForeground(Qt.GlobalColor.darkGray if col == 8 else item.foreground())
                self.table.setItem(row, col, item)
        self.table.setSortingEnabled(True)
        if keep:
            self.select_path(keep)
        elif entries:
            self.table.selectRow(0)
        bad = (f"; {len(unreadable)} file{'s' if len(unreadable) > 1 else ''} cannot be read "
               "(hover here)") if unreadable else ""
        self.status.setText(f"{len(entries)} models "
                            f"({sum(1 for e in entries if not e.shipped)} yours){bad} — "
                            f"your library: {library.user_models_dir()}")
        self.status.setToolTip("\n".join(f"{b.path}: {b.reason}" for b in unreadable))
        self._selection_changed()

    def select_path(self, path: str) -> None:
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(Qt.ItemDataRole.UserRole) == path:
                self.table.selectRow(row)
                return

    def selected(self):
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return None
        path = self.table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)
        return next((e for e in self.entries if str(e.path) == path), None)

    def _selection_changed(self) -> None:
        entry = self.selected()
        has = entry is not None
        user = has and not entry.shipped
        self.export_button.setEnabled(has)
        self.use_button.setEnabled(has)
        self.rename_button.setEnabled(user)
        self.delete_button.setEnabled(user)
        tip = "" if user or not has else "Shipped models are read-only"
        self.rename_button.setToolTip(tip)
        self.delete_button.setToolTip(tip)
        self.details.setHtml(details_html(entry) if has else
                             "<p>Select a model to see its card and metadata.</p>")

    def _use(self) -> None:
        entry = self.selected()
        if entry is not None:
            self.use_model.emit(str(entry.path))

    # -- library actions -------------------------------------------------------
    def import_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a model", recent.folder("model"),
                                              "Sequence Studio models (*.safetensors);;All files (*)")
        if not path:
            return
        recent.remember_folder("model", path)
        self.status.setText(f"Checking {Path(path).name}…")

        def checked(same, error):
            # a damaged or unsafe file is refused before it is named (issue 25, defect 11)
            if error is not None:
                show_error(self, "Import refused", error)
                self.status.setText(f"{Path(path).name} was not imported; the library is unchanged.")
                return
            self.status.setText("")
            name = self.ask_import_name(path, same)
            if name is not None:
                self.import_file(path, name)

        run_task(lambda: _check_and_find_same(path, list(self.entries)), checked, owner=self)

    def ask_import_name(self, path: str, same: list[str]) -> str | None:
        """The name to import under; a typed name already in the library is asked again
        (it was silently made 'walk1-2'); an identical model already there is named."""
        label = "Name in your library:"
        if same:
            label = (f"This file is the same model as {', '.join(repr(n) for n in same)} in your "
                     "library (identical weights and settings). Import a copy as:")
        suggestion = self.suggested_name(path)
        taken = {e.name for e in self.entries}
        while True:
            name, ok = QInputDialog.getText(self, "Import model", label, text=suggestion)
            if not ok:
                return None
            name = name.strip() or suggestion
            if name not in taken:
                return name
            suggestion = library.unique_name(name, self.entries)
            label = f"A model named {name!r} is already in your library. Import it as:"

    def suggested_name(self, path: str) -> str:
        """The file's own model name, made unique against the library (header only)."""
        try:
            name = read_metadata(path).get("name") or Path(path).stem
        except CheckpointError:
            name = Path(path).stem  # the import itself reports what is wrong
        return library.unique_name(name, self.entries)

    def import_file(self, path: str, name: str | None = None) -> None:
        """Validate and copy into the library in a worker; refusals show the reason.
        The model is listed under ``name`` (default: its own), made unique."""
        self.status.setText(f"Checking {Path(path).name}…")

        def done(entry, error):
            if error is not None:
                show_error(self, "Import refused", error)
                self.status.setText(f"{Path(path).name} was not imported; the library is unchanged.")
                return
            self.status.setText(f"Imported {entry.name} into your library.")
            self._pending_select = str(entry.path)
            self.library_changed.emit()

        run_task(lambda: library.import_model(path, name), done, owner=self)

    def export_selected(self) -> None:
        entry = self.selected()
        if entry is None:
            return
        dest, _ = QFileDialog.getSaveFileName(self, "Export model",
                                              str(Path(recent.folder("export")) / entry.path.name),
                                              "Sequence Studio models (*.safetensors)")
        if dest:
            recent.remember_folder("export", dest)
            self.export_to(dest)

    def export_to(self, dest: str) -> None:
        entry = self.selected()
        run_task(lambda: library.export_model(entry, dest, force=True),  # the dialog asked
                 lambda out, error: show_error(self, "Export", error) if error else
                 self.status.setText(f"Exported to {out}"), owner=self)

    def rename_selected(self, new_name: str | None = None) -> None:
        entry = self.selected()
        if entry is None or entry.shipped:
            return
        if new_name is None:
            new_name, ok = QInputDialog.getText(self, "Rename model", "New name:", text=entry.name)
            if not ok or not new_name.strip():
                return
        old = str(entry.path)

        def done(renamed, error):
            if error is not None:
                show_error(self, "Rename", error)
                return
            model_cache.forget(old)
            self._pending_select = str(renamed.path)
            self.library_changed.emit()

        run_task(lambda: library.rename_model(entry, new_name.strip()), done, owner=self)

    def delete_selected(self, confirm: bool = True) -> None:
        entry = self.selected()
        if entry is None or entry.shipped:
            return
        if confirm and not self.confirm_delete(entry):
            return
        try:
            library.delete_model(entry)
        except OSError as exc:
            show_error(self, "Delete", exc)
            return
        model_cache.forget(str(entry.path))
        self.status.setText(f"Deleted {entry.name}.")
        self.library_changed.emit()

    def confirm_delete(self, entry) -> bool:
        """Ask first; the safe answer (Cancel) is the default button."""
        box = QMessageBox(QMessageBox.Icon.Warning, "Delete model",
                          f"Delete {entry.name} from your library?\n{entry.path}\n\n"
                          "The file is removed; this cannot be undone.",
                          QMessageBox.StandardButton.Cancel, self)
        delete = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        self.delete_box = box   # tests answer it
        box.exec()
        return box.clickedButton() is delete

    # -- settings --------------------------------------------------------------
    def save_settings(self) -> None:
        with Group("models", version=1) as g:
            g.set("splitter", self.splitter.saveState())
            g.set("header", self.table.horizontalHeader().saveState())

    def restore_settings(self) -> None:
        with Group("models", version=1) as g:
            state = g.get("splitter")
            if state is not None:
                self.splitter.restoreState(state)

    def shutdown(self) -> None:
        pass


def details_html(entry) -> str:
    """Model card (markdown rendered by Qt) above the metadata that matters."""
    meta = dict(entry.meta or {})
    parts = [f"<h3>{html.escape(entry.name)}</h3>",
             f"<p><code>{html.escape(str(entry.path))}</code>"
             f"{' (shipped, read-only)' if entry.shipped else ''}</p>",
             f"<p>{html.escape(entry.signature())}</p>"]  # 'signed by NAME' or 'unsigned'
    card = entry.card
    if card is not None:
        from PySide6.QtGui import QTextDocument

        doc = QTextDocument()
        doc.setMarkdown(card.read_text(encoding="utf-8", errors="replace"))
        body = doc.toHtml()
        parts.append(body[body.find("<body"):] if "<body" in body else body)
    else:
        parts.append("<p><i>No model card (a .md file beside the checkpoint).</i></p>")
    shown = {k: meta.get(k) for k in ("domain", "encoding", "created", "config", "metrics",
                                      "corpus", "train_config", "init_from", "notes")
             if meta.get(k) not in (None, "", {}, [])}
    if isinstance(shown.get("corpus"), dict):
        corpus = dict(shown["corpus"])
        items = corpus.pop("train_items", None)
        if items is not None:
            corpus["train_items"] = f"{len(items)} names"
        shown["corpus"] = corpus
    history = meta.get("history") or []
    rows = "".join(f"<tr><td><b>{html.escape(k)}</b></td><td>{_value_html(v)}</td></tr>"
                   for k, v in shown.items())
    parts.append(f"<h4>Metadata</h4><table cellspacing=4>{rows}</table>")
    if history:
        parts.append(f"<p>{len(history)} evaluations recorded; last: "
                     f"{html.escape(json.dumps(history[-1]))}</p>")
    return "\n".join(parts)


def _value_html(value) -> str:
    """Short dicts on one line per key; long values as preformatted JSON."""
    if isinstance(value, dict):
        return "<br>".join(f"{html.escape(str(k))}: <code>{html.escape(json.dumps(v))}</code>"
                           for k, v in value.items())
    if isinstance(value, list):
        return f"<pre>{html.escape(json.dumps(value, indent=1))}</pre>"
    return html.escape(str(value))


def _check_and_find_same(path: str, entries: list) -> list[str]:
    """Load ``path`` fully (what the import will do: a refusal comes before the name is
    asked) and name the library models that are the very same file."""
    import hashlib

    from studio.core.checkpoint import load_checkpoint

    try:
        load_checkpoint(path)
    except IsADirectoryError:
        raise CheckpointError(f"{Path(path).name}: is a folder, not a checkpoint file") from None

    def digest(p) -> str:
        return hashlib.sha256(Path(p).read_bytes()).hexdigest()

    mine = digest(path)
    size = Path(path).stat().st_size
    return [e.name for e in entries
            if Path(e.path).is_file() and Path(e.path).stat().st_size == size and digest(e.path) == mine]

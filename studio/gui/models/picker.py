"""Domain / model / device choosers shared by the Generate and Score tabs.

The model list comes from ``studio.core.library.list_models()`` (read in a worker:
it opens every checkpoint header). Shipped models are grouped by their domain; the
user's own models get their own "My models" entry, whatever their domain.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QComboBox, QFormLayout, QWidget

from studio.core.devices import device_choices

# (label, key): key is the checkpoint meta "domain", or "user" for the user's models.
# One order for every tab that picks a model (Generate and Score list them alike).
DOMAINS = [("Dinosaurs", "names"), ("Shakespeare", "text"), ("Jazz", "jazz"),
           ("My models", "user")]
DOMAIN_LABELS = {"jazz": "Jazz", "text": "Text", "names": "Names"}


def entry_domain(entry) -> str:
    return (entry.meta or {}).get("domain", "text")


def entry_summary(entry) -> str:
    """'dinos (LSTM 2x256)': what the model combo shows."""
    config = (entry.meta or {}).get("config") or {}
    cell = str(config.get("cell", "?")).upper()
    size = f" {config.get('layers', '?')}x{config.get('hidden', '?')}" if config else ""
    return f"{entry.name} ({cell}{size})"


class ModelPicker(QWidget):
    """Emits ``changed`` when the chosen model or device changes."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.entries: list = []
        self._wanted: tuple | None = None   # a restored choice waiting for the model list
        self._last: dict[str, str] = {}     # domain key -> the model last chosen there
        self.domain_combo = QComboBox()
        for label, key in DOMAINS:
            self.domain_combo.addItem(label, key)
        self.model_combo = QComboBox()
        self.model_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model_combo.setMinimumContentsLength(14)
        self.device_combo = QComboBox()
        self._fill_devices()
        from studio.gui.shared import preferences

        self.select(device=preferences.load().device)  # restored settings may override it
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("&Domain", self.domain_combo)
        form.addRow("&Model", self.model_combo)
        form.addRow("De&vice", self.device_combo)
        self.domain_combo.currentIndexChanged.connect(self._domain_changed)
        self.model_combo.setPlaceholderText("no models for this domain")
        self.model_combo.currentIndexChanged.connect(self._model_chosen)
        self.device_combo.currentIndexChanged.connect(lambda _i: self.changed.emit())

    def _fill_devices(self) -> None:
        # Unavailable devices stay listed (so users learn they exist) but greyed out,
        # with the reason as tooltip.
        model = QStandardItemModel(self.device_combo)
        self.device_combo.setModel(model)
        for name, available, reason in device_choices():
            self.device_combo.addItem(name.upper() if name != "auto" else "Auto", name)
            item = model.item(self.device_combo.count() - 1)
            item.setToolTip(reason)
            item.setData(reason, Qt.ItemDataRole.ToolTipRole)
            if not available:
                item.setEnabled(False)

    # -- data ------------------------------------------------------------------
    def set_entries(self, entries: list) -> None:
        """Refill from a ``list_models()`` result, keeping the current model if still there."""
        current = self.current_path()
        self.entries = list(entries)
        self._fill_models(prefer=current)
        if self._wanted is not None:
            self.select(*self._wanted)
            self._wanted = None

    def _domain_changed(self) -> None:
        self._fill_models(prefer=self._last.get(self.domain_combo.currentData()))

    def _model_chosen(self, _index: int) -> None:
        path = self.current_path()
        if path:
            self._last[self.domain_combo.currentData()] = path
        self.changed.emit()

    def _entries_for(self, key: str) -> list:
        if key == "user":
            return [e for e in self.entries if not e.shipped]
        return [e for e in self.entries if e.shipped and entry_domain(e) == key]

    def _fill_models(self, prefer: str | None = None) -> None:
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        key = self.domain_combo.currentData()
        for entry in self._entries_for(key):
            label = entry_summary(entry)
            if key == "user":
                label += f" - {DOMAIN_LABELS.get(entry_domain(entry), entry_domain(entry))}"
            self.model_combo.addItem(label, str(entry.path))
            self.model_combo.setItemData(self.model_combo.count() - 1, str(entry.path),
                                         Qt.ItemDataRole.ToolTipRole)
        # A combo box with placeholder text selects nothing after clear() + addItem()
        # (Qt 6): choose the preferred model, else the first, or the picker looks empty.
        index = self.model_combo.findData(prefer) if prefer else -1
        if self.model_combo.count():
            self.model_combo.setCurrentIndex(max(0, index))
        self.model_combo.blockSignals(False)
        self._model_chosen(self.model_combo.currentIndex())

    # -- queries ---------------------------------------------------------------
    def current_path(self) -> str | None:
        return self.model_combo.currentData()

    def current_entry(self):
        path = self.current_path()
        return next((e for e in self.entries if str(e.path) == path), None)

    def current_domain(self) -> str:
        """The model's own domain (``names``/``text``/``jazz``), also for user models."""
        entry = self.current_entry()
        if entry is not None:
            return entry_domain(entry)
        key = self.domain_combo.currentData()
        return "names" if key == "user" else key

    def device(self) -> str:
        return self.device_combo.currentData() or "auto"

    # -- settings --------------------------------------------------------------
    def save_to(self, group) -> None:
        """Domain, model and device into a settings ``Group``."""
        group.set("domain", self.domain_combo.currentData())
        group.set("model", self.current_path() or "")
        group.set("device", self.device())

    def restore_from(self, group) -> None:
        # the model list may still be loading: the choice is kept until it arrives
        self._wanted = (group.get("domain"), group.get("model") or None, group.get("device"))
        self.select(*self._wanted)

    def select(self, domain_key: str | None = None, path: str | None = None,
               device: str | None = None) -> None:
        """Restore a choice (settings, a take's settings); unknown values are ignored."""
        if domain_key:
            index = self.domain_combo.findData(domain_key)
            if index >= 0:
                self.domain_combo.setCurrentIndex(index)
        if path:
            index = self.model_combo.findData(path)
            if index < 0 and domain_key is None:
                # the model may live under another domain entry: find it there
                for d in range(self.domain_combo.count()):
                    key = self.domain_combo.itemData(d)
                    if any(str(e.path) == path for e in self._entries_for(key)):
                        self.domain_combo.setCurrentIndex(d)
                        break
                index = self.model_combo.findData(path)
            if index >= 0:
                self.model_combo.setCurrentIndex(index)
        if device:
            index = self.device_combo.findData(device)
            model = self.device_combo.model()
            if index >= 0 and model.item(index).isEnabled():
                self.device_combo.setCurrentIndex(index)

"""The sampling form of the Generate tab: primer, temperature, top-k/top-p, length,
count and RNG seed (with a lock for reproducible takes).

``settings()`` turns the form into the engine's ``SampleSettings``; ``apply()`` puts
a take's recorded settings back.
"""

from __future__ import annotations

import json
import random

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QSlider, QSpinBox, QToolButton, QVBoxLayout, QWidget)

from studio.core.sampling.sampler import SampleSettings

# Sensible starting points per domain: names are short and come in batches, text is
# one long stream, a jazz take's length is in chorus bars (the chart decides the rest).
# Temperature too: 0.8 keeps names and text readable; jazz starts at 1.0 because its pitch
# and rhythm temperatures (0.8 / 1.0, multiplied by this one) are already the tuned
# defaults the model cards' figures were measured at.
DEFAULTS = {
    "names": {"length": 24, "count": 12, "primer": "", "temperature": 0.8},
    "text": {"length": 600, "count": 1, "primer": "ROMEO:", "temperature": 0.8},
    "jazz": {"length": 1, "count": 1, "primer": "", "temperature": 1.0},
}
SEED_MAX = 2**31 - 1
PER_DOMAIN = ("length", "count", "primer", "temperature")


class SamplingForm(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.domain = "names"
        self._per_domain = {k: dict(v) for k, v in DEFAULTS.items()}
        self._shown = False   # the widgets hold no domain's values until set_domain

        self.primer = QLineEdit()
        self.primer.setPlaceholderText("optional start, e.g. Tyr")
        self.primer.setToolTip("The sample continues this text (for names: the first letters)")

        self.temperature = QSlider(Qt.Orientation.Horizontal)
        self.temperature.setRange(0, 200)  # hundredths: 0.00 .. 2.00
        self.temperature.setValue(80)
        self.temperature.setToolTip("Low: safe and repetitive. High: surprising, then garbled. "
                                    "0 always takes the most likely token.")
        self.temp_label = QLabel()
        self.temp_label.setMinimumWidth(44)
        self.temperature.valueChanged.connect(self._show_temperature)
        self._show_temperature()
        temp_row = QHBoxLayout()
        temp_row.addWidget(self.temperature, 1)
        temp_row.addWidget(self.temp_label)

        # top-k / top-p stay folded under "More": most people only need temperature.
        self.more_button = QToolButton()
        self.more_button.setText("More")
        self.more_button.setCheckable(True)
        self.more_button.setArrowType(Qt.ArrowType.RightArrow)
        self.more_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.more_button.setAutoRaise(True)
        self.more_box = QWidget()
        more = QFormLayout(self.more_box)
        more.setContentsMargins(12, 0, 0, 0)
        self.top_k = QSpinBox()
        self.top_k.setRange(0, 10000)
        self.top_k.setSpecialValueText("off")
        self.top_k.setToolTip("Sample only among the k most likely tokens (0 = off)")
        self.top_p = QDoubleSpinBox()
        self.top_p.setRange(0.01, 1.0)
        self.top_p.setSingleStep(0.05)
        self.top_p.setValue(1.0)
        self.top_p.setToolTip("Nucleus sampling: the smallest set of tokens holding this much "
                              "probability (1 = off)")
        more.addRow("Top-&k", self.top_k)
        more.addRow("Top-&p", self.top_p)
        self.more_form = more
        self.more_box.setVisible(False)
        self.more_button.toggled.connect(self._toggle_more)

        self.length = QSpinBox()
        self.length.setRange(1, 100000)
        self.count = QSpinBox()
        self.count.setRange(1, 200)
        self.seed = QSpinBox()
        self.seed.setRange(0, SEED_MAX)
        self.seed.setValue(random.randint(0, 99999))
        self.seed.setToolTip("The take's random seed: same seed + settings = same take")
        self.lock = QCheckBox("Lock")
        self.lock.setToolTip("Keep this seed for the next takes (otherwise each take draws a new one)")
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed, 1)
        seed_row.addWidget(self.lock)

        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        self.primer_label = QLabel("&Start")
        self.primer_label.setBuddy(self.primer)
        form.addRow(self.primer_label, self.primer)
        temp_label = QLabel("&Temperature")
        temp_label.setBuddy(self.temperature)
        form.addRow(temp_label, temp_row)
        self.length_label = QLabel("&Length")
        self.length_label.setBuddy(self.length)
        form.addRow(self.length_label, self.length)
        self.count_label = QLabel("&Count")
        self.count_label.setBuddy(self.count)
        form.addRow(self.count_label, self.count)
        seed_label = QLabel("&RNG seed")
        seed_label.setBuddy(self.seed)
        form.addRow(seed_label, seed_row)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.more_button)
        layout.addWidget(self.more_box)
        self.set_domain("names")

    def add_more(self, widget: QWidget) -> None:
        """A further (e.g. domain-specific) block under "More", full width."""
        self.more_form.addRow(widget)

    def _show_temperature(self) -> None:
        value = self.temperature.value() / 100
        self.temp_label.setText("greedy" if value == 0 else f"{value:.2f}")

    def _toggle_more(self, shown: bool) -> None:
        self.more_box.setVisible(shown)
        self.more_button.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)

    def set_domain(self, domain: str) -> None:
        """Swap the per-domain fields (length, count, primer, temperature) and their labels."""
        if domain not in DEFAULTS:
            domain = "text"
        if self._shown:  # file the visible values under the domain they belong to
            self._per_domain[self.domain] = {"length": self.length.value(),
                                             "count": self.count.value(),
                                             "primer": self.primer.text(),
                                             "temperature": self.temperature.value() / 100}
        self._shown = True
        self.domain = domain
        jazz = domain == "jazz"
        self.length.setRange(1, 16 if jazz else 100000)  # before the value, or it is clamped
        values = self._per_domain[domain]
        self.length.setValue(values["length"])
        self.count.setValue(values["count"])
        self.primer.setText(values["primer"])
        self.temperature.setValue(round(float(values["temperature"]) * 100))
        self.primer.setVisible(not jazz)
        self.primer_label.setVisible(not jazz)
        self.count.setVisible(not jazz)
        self.count_label.setVisible(not jazz)
        self.length_label.setText("&Choruses" if jazz else "&Length")
        self.length.setSuffix("" if jazz else (" chars max" if domain == "names" else " chars"))
        self.primer.setPlaceholderText("optional first letters, e.g. Tyr" if domain == "names"
                                       else "text to continue, e.g. ROMEO:")

    # -- values ----------------------------------------------------------------
    def next_seed(self) -> int:
        """The seed for the next take: a fresh one unless locked, shown in the box."""
        if not self.lock.isChecked():
            self.seed.setValue(random.randint(0, 999999))
        return self.seed.value()

    def settings(self, seed: int | None = None) -> SampleSettings:
        return SampleSettings(temperature=self.temperature.value() / 100,
                              top_k=self.top_k.value(), top_p=self.top_p.value(),
                              max_length=self.length.value(), count=self.count.value(),
                              seed=self.seed.value() if seed is None else seed)

    def values(self) -> dict:
        """Everything a take records (and settings restore)."""
        return {"primer": self.primer.text(), "temperature": self.temperature.value() / 100,
                "top_k": self.top_k.value(), "top_p": self.top_p.value(),
                "length": self.length.value(), "count": self.count.value(),
                "seed": self.seed.value(), "lock": self.lock.isChecked(),
                "more": self.more_button.isChecked()}

    def save_to(self, group) -> None:
        """Into a settings ``Group``: shared values plus each domain's length, count, start
        and temperature."""
        self.set_domain(self.domain)  # file the visible per-domain values first
        for key, value in self.values().items():
            if key not in PER_DOMAIN:
                group.set(f"form/{key}", value)
        group.set("form/per_domain", json.dumps(self._per_domain))

    def restore_from(self, group) -> None:
        try:
            stored = json.loads(group.get("form/per_domain", "{}") or "{}")
        except (TypeError, ValueError):
            stored = {}
        for domain, values in stored.items():
            if domain in self._per_domain and isinstance(values, dict):
                self._per_domain[domain].update(values)
        # settings saved before temperature was kept per domain hold one shared value: it
        # was chosen for names and text; jazz keeps its tuned 1.0
        shared_temperature = group.get("form/temperature")
        for domain in ("names", "text"):
            if shared_temperature is not None and "temperature" not in stored.get(domain, {}):
                self._per_domain[domain]["temperature"] = shared_temperature
        for domain, values in self._per_domain.items():
            values["temperature"] = _temperature(values.get("temperature"),
                                                 DEFAULTS[domain]["temperature"])
        values = self._per_domain[self.domain]
        self.length.setValue(int(values["length"]))
        self.count.setValue(int(values["count"]))
        self.primer.setText(str(values["primer"]))
        self.temperature.setValue(round(values["temperature"] * 100))
        shared = {k: group.get(f"form/{k}") for k in ("top_k", "top_p", "seed", "lock", "more")}
        self.apply({k: v for k, v in shared.items() if v is not None})

    def apply(self, values: dict) -> None:
        if not values:
            return
        if "primer" in values:
            self.primer.setText(str(values["primer"]))
        if "temperature" in values:
            self.temperature.setValue(round(float(values["temperature"]) * 100))
        if "top_k" in values:
            self.top_k.setValue(int(values["top_k"]))
        if "top_p" in values:
            self.top_p.setValue(float(values["top_p"]))
        if "length" in values:
            self.length.setValue(int(values["length"]))
        if "count" in values:
            self.count.setValue(int(values["count"]))
        if "seed" in values:
            self.seed.setValue(int(values["seed"]))
        if "lock" in values:
            self.lock.setChecked(_bool(values["lock"]))
        if "more" in values:
            self.more_button.setChecked(_bool(values["more"]))


def _bool(value) -> bool:
    # QSettings INI files give booleans back as "true"/"false" strings.
    return value.lower() == "true" if isinstance(value, str) else bool(value)


def _temperature(value, default: float) -> float:
    """A stored temperature as a number in the slider's range (settings files can be edited)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return min(2.0, max(0.0, number)) if number == number else default

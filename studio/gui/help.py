"""Help > Sequence Studio Help (F1): the chord-chart syntax, the keyboard shortcuts of the
menus as they are, and where the documentation lives. Chart errors in the jazz panel
point here (issue 25: "a Help page with the chart syntax, shortcuts and links to docs")."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from studio.music.chart import PRESETS

DOCS = Path(__file__).resolve().parents[2]  # README.md and docs/ in a source checkout

CHART_SYNTAX = """
<h3>Chord charts</h3>
<ul>
<li><b>Bars</b> are separated by <code>|</code>: <code>| Dm7 | G7 | Cmaj7 | % |</code>.
    New lines are only spacing. A chart typed without bar lines is read as one bar
    (the panel says so).</li>
<li><b>Several chords in a bar</b> share it: two take two beats each, three take 2+1+1,
    four take one beat each: <code>| Dm7 G7 | Cmaj7 |</code>.</li>
<li><b>Repeats</b>: <code>%</code> repeats the previous bar; <code>|: Dm7 | G7 :|</code>
    plays the enclosed bars twice.</li>
<li><b>No chord</b>: <code>N.C.</code> (or <code>NC</code>) for a bar or beat without harmony.</li>
<li><b>Chord symbols</b>: lead-sheet spellings (<code>Cmaj7</code>, <code>C-7</code>,
    <code>Bb7(#9, b13)</code>, <code>E7alt</code>, <code>F#m7b5</code>, <code>Bdim7</code>,
    <code>C6</code>, slash chords) or the Jazzomat ones.</li>
<li><b>Metre</b>: charts are 4/4; a time signature such as <code>3/4</code> is refused with
    the bar it is in.</li>
<li><b>Errors</b> name the bar and the symbol: <i>bar 3: unknown chord symbol 'Xm7'</i>.</li>
</ul>
"""


def shortcut_rows(window: QWidget) -> list[tuple[str, str]]:
    """(action, keys) for every menu action of ``window`` that has a shortcut."""
    rows = []
    for action in window.findChildren(QAction):
        keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText)
                         for k in action.shortcuts() if not k.isEmpty())
        if keys and action.text():
            rows.append((action.text().replace("&", "").rstrip("…"), keys))
    return sorted(set(rows))


def help_html(window: QWidget) -> str:
    presets = "".join(f"<li><b>{html.escape(name)}</b>: <code>{html.escape(text.splitlines()[0])}"
                      f"{' …' if len(text.splitlines()) > 1 else ''}</code></li>"
                      for name, text in PRESETS.items())
    keys = "".join(f"<tr><td>{html.escape(a)}</td><td><b>{html.escape(k)}</b></td></tr>"
                   for a, k in shortcut_rows(window))
    docs = [(DOCS / "README.md", "README: install, first steps, the command line"),
            (DOCS / "docs" / "ARCHITECTURE.md", "Architecture: how the app is built"),
            (DOCS / "docs" / "LIVE.md", "Live: playing along over MIDI/JACK")]
    links = "".join(f'<li><a href="{p.as_uri()}">{html.escape(t)}</a></li>'
                    for p, t in docs if p.is_file())
    return (CHART_SYNTAX + f"<h4>Presets</h4><ul>{presets}</ul>"
            + f"<h3>Keyboard shortcuts</h3><table cellspacing=4>{keys}</table>"
            + (f"<h3>Documentation</h3><ul>{links}</ul>" if links else ""))


class HelpDialog(QDialog):
    def __init__(self, window: QWidget):
        super().__init__(window)
        self.setWindowTitle("Sequence Studio Help")
        self.view = QTextBrowser()
        self.view.setOpenExternalLinks(True)
        self.view.setHtml(help_html(window))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view)
        layout.addWidget(buttons)
        self.resize(640, 560)

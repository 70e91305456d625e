"""Layout pieces every tab builds the same way: the scrolling control column, the
two-pane splitter filling the tab, read-only result tables; and the window kept on screen."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QAbstractItemView, QHeaderView, QScrollArea, QSplitter,
                               QTableWidget, QVBoxLayout, QWidget)


def control_column(widget: QWidget, min_width: int) -> QScrollArea:
    """The left column of controls, scrolling when the window is short."""
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setWidget(widget)
    scroll.setMinimumWidth(min_width)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    return scroll


def splitter(orientation: Qt.Orientation, widgets, sizes: list[int],
             stretch_last: bool = False) -> QSplitter:
    """A splitter over ``widgets`` at ``sizes``; ``stretch_last``: the last pane takes the
    window's growth."""
    split = QSplitter(orientation)
    for widget in widgets:
        split.addWidget(widget)
    if stretch_last:
        split.setStretchFactor(len(widgets) - 1, 1)
    split.setSizes(sizes)
    return split


def fill_tab(tab: QWidget, content: QWidget) -> None:
    """``content`` fills the tab, with the small margin every tab has."""
    layout = QVBoxLayout(tab)
    layout.setContentsMargins(4, 4, 4, 4)
    layout.addWidget(content)


def result_table(columns: list[str], stretch: int) -> QTableWidget:
    """A read-only, row-selecting table; column ``stretch`` takes the spare width."""
    table = QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels(columns)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    return table


def fit_to_screen(window: QWidget) -> None:
    """Keep ``window`` (frame included) inside its screen's available area.

    A size restored from a larger monitor, or the default size on a small laptop screen
    (1000x700 with a panel), would otherwise leave the status bar and the right-hand
    columns off-screen. The minimum size shrinks with the screen, so the layouts (the
    control columns scroll) give way rather than the window growing past the screen.
    """
    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        return
    avail = screen.availableGeometry()
    frame = window.frameGeometry()
    extra_w = max(0, frame.width() - window.width())
    extra_h = max(0, frame.height() - window.height())
    max_w, max_h = avail.width() - extra_w, avail.height() - extra_h
    minimum = window.minimumSize()
    window.setMinimumSize(min(minimum.width(), max_w), min(minimum.height(), max_h))
    width, height = min(window.width(), max_w), min(window.height(), max_h)
    if (width, height) != (window.width(), window.height()):
        window.resize(width, height)
    x = min(max(frame.x(), avail.left()), avail.left() + avail.width() - width - extra_w)
    y = min(max(frame.y(), avail.top()), avail.top() + avail.height() - height - extra_h)
    if (x, y) != (frame.x(), frame.y()):
        window.move(x, y)

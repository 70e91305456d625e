"""Layout pieces every tab builds the same way: the scrolling control column, the
two-pane splitter filling the tab, and read-only result tables."""

from __future__ import annotations

from PySide6.QtCore import Qt
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

"""Help (F1): the chart syntax, the shortcuts as the menus have them, links to the docs;
a chart error in the jazz panel points to it (issue 25, Help)."""

from __future__ import annotations


def test_f1_opens_help_with_chart_syntax_shortcuts_and_docs(qtbot, window, tiny_models,
                                                            choose_model):
    from PySide6.QtCore import Qt

    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: getattr(window, "help_dialog", None) is not None
                    and window.help_dialog.isVisible(), timeout=5000)
    text = window.help_dialog.view.toPlainText()
    for words in ("|: Dm7 | G7 :|", "N.C.", "3/4", "Bb blues", "Rhythm changes (Bb)"):
        assert words in text, words
    # the shortcuts are read off the menus: one changed there shows here
    assert "Preferences" in text or "Reload models" in text
    assert "F5" in text and "F1" in text
    html = window.help_dialog.view.toHtml()
    assert "ARCHITECTURE.md" in html and "README.md" in html
    # a chart typo says where the syntax is explained
    tab = window.generate_tab
    choose_model(tab, tiny_models["jazz"])
    tab.jazz.chart.setPlainText("| Dm7 | Xq9 |")
    status = tab.jazz.chart_editor.status
    qtbot.waitUntil(lambda: "bar 2" in status.text(), timeout=3000)
    assert status.text().endswith("(chart syntax: Help, F1)"), status.text()

"""The Models tab's details say who signed the selected model, or that it is unsigned."""

from __future__ import annotations


def test_details_show_the_signature(qtbot, window, tiny_models, tmp_path):
    from studio.core import signing
    from studio.core.library import sign_model

    tab = window.models_tab
    tab.select_path(str(tiny_models["names"]))
    assert "unsigned" in tab.details.toPlainText()
    signing.new_key(tmp_path / "k")
    sign_model(tiny_models["names"], tmp_path / "k")
    signing.trust_key(tmp_path / "k.pub", "Alice")
    tab.select_path(str(tiny_models["text"]))
    tab.select_path(str(tiny_models["names"]))
    assert "signed by Alice" in tab.details.toPlainText()

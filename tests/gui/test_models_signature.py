"""The Models tab: the details say who signed the selected model, or that it is unsigned;
files in the library that cannot be read are named, the rest listed."""

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


def test_a_bad_file_in_the_library_is_named_and_the_rest_listed(qtbot, window, tiny_models):
    """Issue 23 item 1: the window's library refresh calls the same listing as `models`;
    a header nested 200,000 deep broke it (RecursionError) and every model vanished."""
    import struct

    from studio.paths import user_models_dir

    blob = ('{"a": ' + "[" * 200_000 + "]" * 200_000 + "}").encode()
    (user_models_dir() / "deep.safetensors").write_bytes(struct.pack("<Q", len(blob)) + blob)
    tab = window.models_tab
    rows = tab.table.rowCount()
    window.refresh_models()
    qtbot.waitUntil(lambda: "cannot be read" in tab.status.text(), timeout=10000)
    assert "1 file cannot be read" in tab.status.text()
    assert "deep.safetensors: its header nests deeper than 32 levels" in tab.status.toolTip()
    assert tab.table.rowCount() == rows  # every model still listed
    assert len(window.generate_tab.picker.entries) >= 3

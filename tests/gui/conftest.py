"""GUI tests: offscreen Qt, user data and settings isolated in a temp folder.

Models used here are tiny SequenceNets saved with the engine's ``save_checkpoint``
(random weights: the tests check the window's plumbing, not the model's taste).
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

NAMES = ["alosaurus", "brontosaurus", "ceratops", "diplodocus", "edmontosaurus",
         "fabrosaurus", "gallimimus", "hadrosaurus", "iguanodon", "juravenator",
         "kentrosaurus", "lambeosaurus", "megalosaurus", "nodosaurus", "ornithomimus",
         "pachycephalosaurus", "quaesitosaurus", "raptorex", "stegosaurus", "tyrannosaurus"]


@pytest.fixture(autouse=True)
def studio_home(tmp_path, monkeypatch):
    """A fresh user data folder (models, log, settings.ini) for every test."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("SEQUENCE_STUDIO_HOME", str(home))
    yield home
    from studio.gui.shared import errors, workers

    workers.wait_for_tasks(5000)
    for box in list(errors.OPEN_DIALOGS):
        box.close()
    errors.OPEN_DIALOGS.clear()


def save_tiny(path, domain: str, tokens, kind: str = "char", meta_extra: dict | None = None,
              seed: int = 0):
    import torch

    from studio.core.checkpoint import save_checkpoint
    from studio.core.net import NetConfig, SequenceNet
    from studio.core.vocab import Vocab
    from studio.music.encoding import ENCODING

    torch.manual_seed(seed)
    vocab = Vocab.from_text(tokens) if kind == "char" else Vocab.from_tokens(tokens, kind="event")
    model = SequenceNet(NetConfig(cell="gru" if domain == "text" else "lstm",
                                  vocab_size=len(vocab), layers=1, hidden=32, embedding=8))
    if domain == "text":
        with torch.no_grad():  # text never ends by itself: only Stop or the length limit ends it
            model.head.bias[vocab.end_id] = -30.0
    meta = {"domain": domain, "name": path.stem, "encoding": "char-v1" if kind == "char" else ENCODING,
            "metrics": {"val_nll": 2.5, "parameters": model.num_parameters()},
            "corpus": {"name": f"{domain}.txt", "items": 20}, "created": "2026-01-01T00:00:00+00:00"}
    meta.update(meta_extra or {})
    save_checkpoint(path, model, vocab, meta)
    return path


@pytest.fixture
def tiny_models(studio_home):
    """A names model (with its training names), a text model and a jazz model in the user library."""
    from studio.music.encoding import jazz_vocab_tokens
    from studio.paths import user_models_dir

    folder = user_models_dir()
    names = save_tiny(folder / "tiny-dinos.safetensors", "names", NAMES,
                      meta_extra={"corpus": {"name": "dinos.txt", "items": 20, "train_items": NAMES}})
    text = save_tiny(folder / "tiny-bard.safetensors", "text",
                     "ROMEO: But soft, what light through yonder window breaks?\n")
    jazz = save_tiny(folder / "tiny-jazz.safetensors", "jazz", jazz_vocab_tokens(), kind="event")
    return {"names": names, "text": text, "jazz": jazz}


@pytest.fixture
def window(qtbot, tiny_models):
    from studio.gui.main_window import MainWindow

    win = MainWindow(restore=False)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: len(win.generate_tab.picker.entries) >= 3, timeout=10000)
    yield win
    win.generate_tab.shutdown()
    win.train_tab.shutdown()


def _choose_model(tab, path) -> None:
    tab.picker.select(path=str(path))
    assert tab.picker.current_path() == str(path)


@pytest.fixture
def choose_model():
    """``choose_model(tab, path)``: select a model (by file) in a tab's picker."""
    return _choose_model


@pytest.fixture
def tiny_checkpoint():
    """``tiny_checkpoint(path, domain, tokens)``: save a small random model."""
    return save_tiny


@pytest.fixture
def names():
    return list(NAMES)


def _pick_item(qtbot, combo, label: str) -> None:
    """Choose ``label`` as a keyboard user does: open the combo's popup, arrow to the
    item, press Return (offscreen, a mouse release on a popup is not delivered)."""
    from PySide6.QtCore import Qt

    index = combo.findText(label)
    assert index >= 0, f"{label!r} is not offered: {combo_items(combo)}"
    combo.showPopup()
    view = combo.view()
    qtbot.waitUntil(view.isVisible, timeout=3000)
    row = view.currentIndex().row()
    key = Qt.Key.Key_Down if index > row else Qt.Key.Key_Up
    for _ in range(abs(index - row)):
        qtbot.keyClick(view, key)
    qtbot.keyClick(view, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not view.isVisible(), timeout=3000)
    assert combo.currentIndex() == index, (combo.currentText(), label)


@pytest.fixture
def pick_item():
    """``pick_item(qtbot, combo, label)``: open a combo box's popup and click an item."""
    return _pick_item


def combo_items(combo) -> list[str]:
    return [combo.itemText(i) for i in range(combo.count())]


def _click(qtbot, button) -> None:
    from PySide6.QtCore import Qt

    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


@pytest.fixture
def click():
    """``click(qtbot, button)``: a left click (a disabled button ignores it, as for a user)."""
    return _click

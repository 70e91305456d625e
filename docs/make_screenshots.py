"""Screenshots of every tab, offscreen on a 1280x800 screen, after doing something real in each.

    python docs/make_screenshots.py [--out docs/screenshots] [--corpora ../shared/corpora]

Models come from the library (shipped + user). A domain without a model gets a small
one trained first with the real trainer (``python -m studio train``) into a temporary
user folder, so the pictures always show real samples. The Train tab runs two short
real trainings on the dinosaur names (LSTM with clipping, plain RNN without) so the
overlaid curves show.

``--size WxH`` is the size of the (offscreen) screen, not of the window: the window opens as
it opens for a user on that screen (fitted to the available geometry, ``fit_to_screen``), so
a picture at 1000x700 shows what that user sees. With a real display (QT_QPA_PLATFORM set
to something other than offscreen) the window is resized to WxH instead.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Small models for domains the library lacks: enough steps to look like something.
QUICK_RECIPES = {
    "names": ("dinos.txt", ["--cell", "lstm", "--layers", "1", "--hidden", "96", "--embedding", "24",
                            "--batch", "32", "--max-steps", "700", "--lr", "0.006", "--eval-every", "350"]),
    "text": ("tinyshakespeare.txt", ["--cell", "gru", "--layers", "1", "--hidden", "192",
                                     "--embedding", "32", "--batch", "32", "--window", "96",
                                     "--max-steps", "500", "--lr", "0.006", "--eval-every", "250"]),
    "jazz": ("jazz", ["--cell", "lstm", "--layers", "1", "--hidden", "160", "--embedding", "32",
                      "--batch", "16", "--window", "128", "--max-steps", "150", "--lr", "0.006",
                      "--eval-every", "75"]),
}


def ensure_models(corpora: Path) -> None:
    from studio.core.library import list_models
    from studio.paths import user_models_dir

    have = {m.meta.get("domain") for m in list_models()}
    for domain, (corpus, flags) in QUICK_RECIPES.items():
        if domain in have:
            continue
        out = user_models_dir() / f"quick-{domain}.safetensors"
        print(f"training a quick {domain} model on {corpus} …", flush=True)
        cmd = [sys.executable, "-m", "studio", "train", "--corpus", str(corpora / corpus),
               "--kind", domain, "--out", str(out), "--name", f"quick-{domain}",
               "--device", "cpu", *flags]
        subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)


def wait_until(app, condition, timeout: float = 120.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError("timed out waiting for the window")
        app.processEvents()
        time.sleep(0.02)


def settle(app, seconds: float = 0.4) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def pick(tab, domain: str) -> None:
    """Choose the first model of ``domain`` (shipped first, then the user's)."""
    entries = [e for e in tab.picker.entries if e.meta.get("domain") == domain]
    entries.sort(key=lambda e: not e.shipped)
    tab.picker.select(path=str(entries[0].path))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--corpora", default=str(ROOT.parent / "shared" / "corpora"))
    parser.add_argument("--home", help="user data folder (default: a temporary one)")
    parser.add_argument("--size", default="1280x800",
                        help="screen size, e.g. 1000x700 to check that nothing is cut off")
    parser.add_argument("--import", dest="imports", nargs="*", default=[],
                        help="checkpoints to add to the (temporary) library first")
    args = parser.parse_args()
    home = args.home or tempfile.mkdtemp(prefix="studio-shots-")
    os.environ["SEQUENCE_STUDIO_HOME"] = home
    width, height = (int(v) for v in args.size.lower().split("x"))
    offscreen = os.environ.get("QT_QPA_PLATFORM", "offscreen").startswith("offscreen")
    if offscreen:   # a screen of that size (Qt's offscreen platform reads it from a file)
        screen = Path(home) / "screen.json"
        screen.write_text(json.dumps({"screens": [{
            "name": "s", "x": 0, "y": 0, "width": width, "height": height,
            "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}), encoding="utf-8")
        os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={screen}"
    corpora = Path(args.corpora)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    import studio.domains  # noqa: F401  (registers the built-in domains, as app.main does)
    from studio.core.library import import_model

    for path in args.imports:
        import_model(path)
    ensure_models(corpora)

    from PySide6.QtWidgets import QApplication

    from studio.gui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    window = MainWindow(restore=False)
    if not offscreen:
        window.resize(width, height)
    window.show()
    wait_until(app, lambda: len(window.generate_tab.picker.entries) >= 3)
    settle(app)
    frame = window.frameGeometry()
    print(f"screen {width}x{height}: window frame {frame.width()}x{frame.height()} at "
          f"{frame.x()},{frame.y()}, inside {window.width()}x{window.height()}")

    def grab(name: str) -> None:
        settle(app)
        path = out / f"{name}.png"
        window.grab().save(str(path))
        print("wrote", path)

    gen = window.generate_tab
    # names
    pick(gen, "names")
    gen.form.temperature.setValue(80)
    gen.form.count.setValue(18)
    gen.generate()
    wait_until(app, lambda: not gen.is_busy())
    grab("generate-names")
    # text, streamed
    pick(gen, "text")
    gen.form.primer.setText("ROMEO:")
    gen.form.length.setValue(700)
    gen.form.count.setValue(1)
    gen.form.temperature.setValue(70)
    gen.generate()
    wait_until(app, lambda: not gen.is_busy())
    grab("generate-text")
    # jazz over a blues
    pick(gen, "jazz")
    gen.jazz.preset.setCurrentText("Bb blues")
    gen.form.temperature.setValue(90)
    gen.form.length.setValue(1)
    gen.generate()
    wait_until(app, lambda: not gen.is_busy(), timeout=300)
    grab("generate-jazz")
    grab("generate")  # the README's headline picture

    # train: two real short runs overlaid
    window.tabs.setCurrentWidget(window.train_tab)
    train = window.train_tab
    form = train.form
    form.set_corpus(str(corpora / "dinos.txt"), "names")
    wait_until(app, lambda: train.report is not None)
    for cell, clip in (("lstm", 1.0), ("rnn", 0.0)):
        form.cell.setCurrentIndex(form.cell.findData(cell))
        form.layers.setValue(1)
        form.hidden.setValue(64)
        form.embedding.setValue(16)
        form.batch.setValue(32)
        form.lr.setValue(0.01)
        form.clip.setValue(clip)
        form.max_steps.setValue(240)
        form.eval_every.setValue(40)
        form.device.setCurrentIndex(form.device.findData("cpu"))
        form.name.setText(f"dinos-{cell}-demo")
        train.start()
        wait_until(app, lambda: train.state in ("finished", "failed"), timeout=600)
    train.bottom.setCurrentWidget(train.samples)
    grab("train")

    # models
    window.tabs.setCurrentWidget(window.models_tab)
    wait_until(app, lambda: window.models_tab.table.rowCount() >= 5)
    window.models_tab.table.selectRow(0)
    grab("models")

    # score: the lectures' P(sentence)
    window.tabs.setCurrentWidget(window.score_tab)
    score = window.score_tab
    pick(score, "text")
    score.input.setPlainText("The king is dead, long live the king.\n"
                             "The king is dead, long live the kign.\n"
                             "Kign the dead is, live long king the.")
    score.score()
    wait_until(app, lambda: bool(score.results))
    grab("score")

    # Preferences: audio output, SoundFont and the line saying what will play
    from studio.gui.shared import preferences

    dialog = preferences.PreferencesDialog(preferences.load(), window)
    dialog.show()
    settle(app)
    path = out / "preferences.png"
    dialog.grab().save(str(path))
    print("wrote", path)
    dialog.close()

    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""``sequence-studio --install-desktop``: a Linux menu entry that starts this installation,
with the app's icon; ``--remove-desktop`` takes both away again. The entry is read back
with configparser (and desktop-file-validate where installed), not with our own code."""

import configparser
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from studio.cli.main import main
from studio.paths import assets_dir

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="freedesktop.org menu entries are a Linux thing")


@linux_only
def test_install_desktop_writes_an_entry_that_starts_this_installation(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert main(["--install-desktop"]) == 0
    entry = tmp_path / "applications" / "sequence-studio.desktop"
    icon = tmp_path / "icons" / "hicolor" / "scalable" / "apps" / "sequence-studio.svg"
    assert str(entry) in capsys.readouterr().out
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(entry, encoding="utf-8")
    desk = parser["Desktop Entry"]
    assert desk["Type"] == "Application" and desk["Name"] == "Sequence Studio"
    assert desk["Terminal"] == "false"
    # Icon= names the installed icon file (the theme lookup is by file stem)
    assert desk["Icon"] == icon.stem and icon.read_bytes() == (assets_dir() / "icon.svg").read_bytes()
    program = Path(shlex.split(desk["Exec"])[0])
    # this environment's own launcher (or its python), runnable
    assert program.parent == Path(sys.executable).parent and os.access(program, os.X_OK)
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
        assert check.returncode == 0 and not check.stdout.strip(), check.stdout + check.stderr

    assert main(["--remove-desktop"]) == 0
    assert not entry.exists() and not icon.exists()


def test_install_desktop_never_opens_the_window(monkeypatch, tmp_path):
    """The flag is handled before Qt: a window opening here would hang a headless CI."""
    import studio.gui.app

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.setattr(studio.gui.app, "main", lambda argv=None: pytest.fail("window opened"))
    if sys.platform.startswith("linux"):
        assert main(["--install-desktop"]) == 0
    assert main(["--remove-desktop"]) == 0


def test_the_window_has_the_app_icon(qtbot):
    from studio.gui.main_window import MainWindow

    window = MainWindow(restore=False)
    qtbot.addWidget(window)
    pixmap = window.windowIcon().pixmap(64, 64)
    assert not pixmap.isNull()
    image = pixmap.toImage()
    colours = {image.pixel(x, y) for x in range(0, 64, 4) for y in range(0, 64, 4)}
    assert len(colours) > 2  # a drawing, not a blank square

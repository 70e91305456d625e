"""``sequence-studio --install-desktop``: a menu entry and icon for the desktop (Linux).

Writes the freedesktop.org files into the user's data folder (``$XDG_DATA_HOME``,
default ``~/.local/share``), so no root is needed and ``pipx``/``uv tool`` installs
get an entry too:

* ``applications/sequence-studio.desktop`` (Exec: the ``sequence-studio-gui`` launcher of
  this very installation, else this Python with ``-m studio``)
* ``icons/hicolor/scalable/apps/sequence-studio.svg`` (the window's icon)

``--remove-desktop`` deletes both. Qt-free: the CLI runs it without starting a window.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from studio import __version__
from studio.paths import assets_dir

APP_ID = "sequence-studio"


def data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def entry_path() -> Path:
    return data_home() / "applications" / f"{APP_ID}.desktop"


def icon_path() -> Path:
    return data_home() / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"


def launch_command() -> str:
    """The command the menu entry runs: this installation's GUI launcher."""
    scripts = Path(sys.executable).parent
    for name in ("sequence-studio-gui", "sequence-studio"):
        candidate = scripts / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return shlex.quote(str(candidate))
    return f"{shlex.quote(sys.executable)} -m studio"


def desktop_entry(command: str) -> str:
    return "\n".join([
        "[Desktop Entry]",
        "Type=Application",
        "Version=1.4",  # desktop-file-validate 0.26 knows no later one
        "Name=Sequence Studio",
        "GenericName=Sequence generator",
        "Comment=Train and sample LSTM/GRU generators: names, text and jazz solos as MIDI",
        f"Exec={command}",
        f"Icon={APP_ID}",
        "Terminal=false",
        # one main category (more would list it twice in some menus)
        "Categories=Education;ArtificialIntelligence;Music;",
        "Keywords=LSTM;GRU;RNN;MIDI;jazz;neural network;",
        f"StartupWMClass={APP_ID}",
        f"X-Sequence-Studio-Version={__version__}",
        "",
    ])


def install() -> list[Path]:
    """Write the entry and the icon; returns the files written. OSError if it cannot."""
    if not sys.platform.startswith("linux"):
        raise OSError("--install-desktop makes a freedesktop.org menu entry (Linux); on this "
                      "system start the app with `sequence-studio`")
    icon, entry = icon_path(), entry_path()
    icon.parent.mkdir(parents=True, exist_ok=True)
    entry.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(assets_dir() / "icon.svg", icon)
    entry.write_text(desktop_entry(launch_command()), encoding="utf-8")
    entry.chmod(0o755)
    _refresh_caches()
    return [entry, icon]


def remove() -> list[Path]:
    removed = []
    for path in (entry_path(), icon_path()):
        if path.exists():
            path.unlink()
            removed.append(path)
    _refresh_caches()
    return removed


def _refresh_caches() -> None:
    """Desktop menus notice new entries sooner with their caches rebuilt (optional tools)."""
    for tool, arg in (("update-desktop-database", entry_path().parent),
                      ("gtk-update-icon-cache", data_home() / "icons" / "hicolor")):
        if shutil.which(tool) and Path(arg).is_dir():
            subprocess.run([tool, "-q", str(arg)] if tool != "update-desktop-database"
                           else [tool, str(arg)], capture_output=True, check=False)

"""QSettings access for the window: one place decides where settings live.

Each tab saves and restores its own group (``generate``, ``train``, ...) with a
``version`` key, so a later release can migrate or drop an old layout instead of
feeding stale values into new widgets.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings

ORGANIZATION = "SequenceStudio"
APPLICATION = "Sequence Studio"
HOME_ENV = "SEQUENCE_STUDIO_HOME"


def app_settings() -> QSettings:
    """The settings store.

    With ``SEQUENCE_STUDIO_HOME`` set (tests, portable installs) the settings are an
    INI file inside that folder, so nothing leaks into the user's real registry/plist.
    """
    home = os.environ.get(HOME_ENV)
    if home:
        Path(home).mkdir(parents=True, exist_ok=True)
        return QSettings(str(Path(home) / "settings.ini"), QSettings.Format.IniFormat)
    return QSettings(ORGANIZATION, APPLICATION)


class Group:
    """Context manager over one versioned settings group.

    >>> with Group("train", version=1) as g:
    ...     g.set("epochs", 3); epochs = g.get("epochs", 1, int)

    When the stored version differs from ``version`` the stored values are ignored
    (``get`` returns defaults) and the group is rewritten on the next save.
    """

    def __init__(self, name: str, version: int = 1, store: QSettings | None = None):
        self.name = name
        self.version = version
        self.store = store or app_settings()
        self._stale = False

    def __enter__(self) -> "Group":
        self.store.beginGroup(self.name)
        stored = self.store.value("version")
        self._stale = stored is not None and str(stored) != str(self.version)
        return self

    def __exit__(self, *exc) -> None:
        self.store.endGroup()
        self.store.sync()

    def get(self, key: str, default=None, kind=None):
        if self._stale or not self.store.contains(key):
            return default
        value = self.store.value(key)
        if kind is None or value is None:
            return value
        try:
            if kind is bool:
                # INI files hand booleans back as the strings "true"/"false".
                return value if isinstance(value, bool) else str(value).lower() == "true"
            return kind(value)
        except (TypeError, ValueError):
            return default

    def set(self, key: str, value) -> None:
        if self._stale:
            self.store.remove("")  # drop the old layout wholesale
            self._stale = False
        self.store.setValue("version", self.version)
        self.store.setValue(key, value)

import subprocess
import sys


def test_music_package_imports_no_qt():
    code = ("import sys, studio.music, importlib, pkgutil\n"
            "for m in pkgutil.iter_modules(studio.music.__path__):\n"
            "    importlib.import_module('studio.music.' + m.name)\n"
            "bad = [m for m in sys.modules if m.startswith(('PySide6', 'PyQt', 'shiboken'))]\n"
            "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], check=True)

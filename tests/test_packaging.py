"""The wheel carries the shipped models and assets, and studio.paths finds them installed."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_ships_models_and_assets(tmp_path):
    try:
        import setuptools  # noqa: F401
    except ImportError:
        pytest.skip("setuptools is not installed in this environment")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path / "dist"), str(ROOT)], check=True, cwd=tmp_path)
    (wheel,) = (tmp_path / "dist").glob("sequence_studio-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    # both launchers: the console command and the windowed one the desktop entry runs
    (points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    entry_points = zipfile.ZipFile(wheel).read(points).decode()
    assert "[console_scripts]\nsequence-studio = studio.cli:main" in entry_points
    assert "[gui_scripts]\nsequence-studio-gui = studio.gui.app:main" in entry_points
    for folder in ("models", "assets"):
        for f in (ROOT / folder).rglob("*"):
            if f.is_file() and not f.name.startswith("."):
                rel = f.relative_to(ROOT).as_posix()
                assert f"studio/_shipped/{rel}" in names, rel
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site),
                    str(wheel)], check=True)
    code = ("import studio.paths as p; print(p.shipped_models_dir()); print(p.assets_dir()); "
            "print(p.__file__)")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                         env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}, check=True).stdout.split()
    models_dir, assets_dir, module = map(Path, out)
    assert str(module).startswith(str(site))
    assert models_dir == site / "studio" / "_shipped" / "models"
    assert (assets_dir / "icon.svg").is_file()
    shipped = sorted(p.name for p in (ROOT / "models").glob("*.safetensors"))
    assert sorted(p.name for p in models_dir.glob("*.safetensors")) == shipped

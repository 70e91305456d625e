"""Copy the top-level models/ and assets/ into the package at build time (see studio/paths.py)."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithShipped(build_py):
    def run(self):
        super().run()
        root = Path(__file__).resolve().parent
        for name in ("models", "assets"):
            src = root / name
            if src.is_dir():
                dest = Path(self.build_lib) / "studio" / "_shipped" / name
                shutil.rmtree(dest, ignore_errors=True)
                shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".*"))


setup(cmdclass={"build_py": BuildWithShipped})

"""The built-in domains: names, text and jazz. Importing this package registers them.

Each module defines one ``studio.core.domain.Domain`` and registers it. A new domain is a
new module here plus its name in ``BUILTIN`` (nothing in ``studio.core`` changes). The CLI
and the window import this package at start-up; the engine never does.
"""

from importlib import import_module

BUILTIN = ("names", "text", "jazz")

for _name in BUILTIN:
    import_module(f"{__name__}.{_name}")

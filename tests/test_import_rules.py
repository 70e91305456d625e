"""The house rules of the tree, checked on every import in ``studio`` (function-level and
TYPE_CHECKING imports included): no module circles, no layer importing upward, core free
of domains, music, Qt and the window, and each room of music/ and gui/ importing only the
rooms below it (the rooms' ``__init__`` docstrings say the same in words).

The checker runs first on small made-up graphs, so a broken checker cannot pass the real
tree by finding nothing."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

STUDIO = Path(__file__).resolve().parents[1] / "studio"

# Top-level layers: a module may import its own layer or lower ones (cli and gui are one
# layer: ``sequence-studio gui`` opens the window, the Train tab builds the CLI's flags).
LAYERS = {"paths": 0, "desktop": 0, "core": 1, "music": 2, "domains": 3, "bench": 4,
          "cli": 5, "gui": 5, "__main__": 6, "": 0}

# Rooms of studio.music, bottom to top; rooms of one rank do not import each other.
GENERATION = {"generate", "continuation", "licks", "lick_bias", "motif_bias", "line_bias"}
MUSIC_ROOMS = {"language": 0, "corpus": 1, "perform": 2, "notation": 3, "audio": 4,
               "generation": 5, "analysis": 6, "live": 6}
# Rooms of studio.gui: shared widgets at the bottom, the shell (the window) on top.
GUI_ROOMS = {"shared": 0, "models": 1, "jazz": 2, "score": 2, "train": 2, "live": 3,
             "generate": 4, "shell": 9}

# Third-party packages a room must not import directly.
FORBIDDEN = {
    "core": {"PySide6", "pyqtgraph"},
    "music": {"PySide6", "pyqtgraph"},
    "domains": {"PySide6", "pyqtgraph"},
    "music.corpus": {"torch"}, "music.perform": {"torch"}, "music.notation": {"torch"},
    "music.audio": {"torch"}, "music.live": {"torch"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(STUDIO.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def read_tree() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Every studio module's imports of studio modules, and of third-party top names."""
    paths = {module_name(p): p for p in STUDIO.rglob("*.py")}
    internal: dict[str, set[str]] = {}
    external: dict[str, set[str]] = {}
    for name, path in paths.items():
        is_pkg = path.name == "__init__.py"
        base = name.split(".") if is_pkg else name.split(".")[:-1]
        ins, outs = set(), set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [(a.name, None) for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                mod = node.module or ""
                if node.level:
                    mod = ".".join(base[:len(base) - node.level + 1] + ([mod] if mod else []))
                targets = [(mod, a.name) for a in node.names]
            for mod, member in targets:
                if mod.split(".")[0] != "studio":
                    outs.add(mod.split(".")[0])
                    continue
                full = f"{mod}.{member}" if member else mod
                target = full if full in paths else mod
                if target != name:
                    ins.add(target)
        internal[name] = ins
        external[name] = outs
    return internal, external


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def music_room(module: str) -> str | None:
    parts = module.split(".")
    if parts[:2] != ["studio", "music"] or len(parts) < 3:
        return None
    if parts[2] in MUSIC_ROOMS and parts[2] not in ("language", "generation"):
        return parts[2]
    return "generation" if parts[2] in GENERATION else "language"


def gui_room(module: str) -> str | None:
    parts = module.split(".")
    if parts[:2] != ["studio", "gui"] or len(parts) < 3:
        return None
    return parts[2] if parts[2] in GUI_ROOMS else "shell"


def core_room(module: str) -> str | None:
    parts = module.split(".")
    if parts[:2] != ["studio", "core"] or len(parts) < 3:
        return None
    return parts[2] if parts[2] in ("sampling", "training") else "base"


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index, low, on, stack, found, counter = {}, {}, set(), [], [], [0]
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return found


def violations(internal: dict[str, set[str]], external: dict[str, set[str]]) -> list[str]:
    out = [f"circle: {' <-> '.join(c)}" for c in circles(internal)]
    for a, targets in sorted(internal.items()):
        for b in sorted(targets):
            la, lb = layer(a), layer(b)
            if LAYERS.get(lb, 0) > LAYERS.get(la, 0):
                out.append(f"upward: {a} ({la}) imports {b} ({lb})")
            ra, rb = music_room(a), music_room(b)
            if ra and rb and ra != rb and MUSIC_ROOMS[rb] >= MUSIC_ROOMS[ra]:
                out.append(f"music room: {a} ({ra}) imports {b} ({rb})")
            ga, gb = gui_room(a), gui_room(b)
            if ga and gb and ga != gb and GUI_ROOMS[gb] >= GUI_ROOMS[ga]:
                out.append(f"gui room: {a} ({ga}) imports {b} ({gb})")
            ca, cb = core_room(a), core_room(b)
            if {ca, cb} == {"sampling", "training"}:
                out.append(f"core room: {a} ({ca}) imports {b} ({cb})")
    for a, names in sorted(external.items()):
        keys = [layer(a)] + [f"music.{music_room(a)}"] * bool(music_room(a))
        for key in keys:
            for bad in sorted(FORBIDDEN.get(key, set()) & names):
                out.append(f"forbidden: {a} imports {bad}")
    return out


def test_the_checker_finds_each_kind_of_break():
    ok = {"studio.core.vocab": set(), "studio.music.types": {"studio.core.vocab"}}
    assert violations(ok, {}) == []
    cases = {
        "circle": {"studio.core.a": {"studio.core.b"}, "studio.core.b": {"studio.core.a"}},
        "upward": {"studio.core.net": {"studio.music.types"}},
        "music room": {"studio.music.perform.feel": {"studio.music.generate"}},
        "gui room": {"studio.gui.shared.workers": {"studio.gui.train.tab"}},
        "core room": {"studio.core.sampling.sampler": {"studio.core.training.trainer"}},
    }
    for kind, graph in cases.items():
        found = violations(graph, {})
        assert found and all(v.startswith(kind) for v in found), (kind, found)
    assert violations({}, {"studio.core.net": {"PySide6"}}) == \
        ["forbidden: studio.core.net imports PySide6"]
    assert violations({}, {"studio.music.perform.feel": {"torch"}}) == \
        ["forbidden: studio.music.perform.feel imports torch"]
    # live and analysis share a rank: neither may import the other
    assert violations({"studio.music.live.trade": {"studio.music.analysis.phrasing"}}, {})


def test_the_tree_keeps_the_house_rules():
    internal, external = read_tree()
    assert len(internal) > 100  # the walk found the package
    assert violations(internal, external) == []


def test_no_room_is_a_long_corridor():
    """No folder over 15 source files, no file over 400 lines."""
    crowded = {str(d.relative_to(STUDIO.parent)): n for d in [STUDIO, *STUDIO.rglob("*")]
               if d.is_dir() and (n := len([p for p in d.glob("*.py") if p.name != "__init__.py"])) > 15}
    assert crowded == {}
    long = {str(p.relative_to(STUDIO.parent)): n for p in STUDIO.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400}
    assert long == {}


@pytest.mark.parametrize("module,absent", [
    ("studio.music.perform.performance", ("torch", "PySide6")),
    ("studio.music.notation.midi_file", ("torch", "PySide6")),
    ("studio.music.corpus.wjazzd", ("torch", "PySide6")),
    ("studio.core.sampling.sampler", ("PySide6", "studio.music", "studio.domains")),
])
def test_importing_a_room_loads_nothing_it_must_not(module, absent):
    """The rules hold for what is really loaded, not only for the import lines read."""
    code = (f"import sys, {module}; "
            f"print(','.join(m for m in {absent!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=STUDIO.parent, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""

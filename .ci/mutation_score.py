"""Per-module mutation scores from mutmut's cache (mutants/**/*.py.meta), as a Markdown
table for docs/TESTING.md, followed by the surviving mutants' names.

Killed = a test failed (exit 1 or 3); timeout = the mutant made a test hang past mutmut's
limit (a behaviour change too: counted as killed in the score, listed apart); survived =
every covering test passed; no tests = no selected test reaches the function.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KIND = {0: "survived", 1: "killed", 3: "killed", 5: "no tests", 33: "no tests", 34: "skipped",
        36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout", None: "not run"}


def main() -> int:
    survivors_only = "--survivors-only" in sys.argv  # names only, for .ci/mutation --survivors
    metas = sorted((ROOT / "mutants").rglob("*.py.meta"))
    if not metas:
        print("no mutmut results yet: run bash .ci/mutation", file=sys.stderr)
        return 1
    if survivors_only:
        for meta in metas:
            for name, code in json.loads(meta.read_text())["exit_code_by_key"].items():
                if KIND.get(code) in ("survived", "no tests"):
                    print(name)
        return 0
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    print(f"commit {commit}\n")
    print("| module | mutants | killed | timeout | survived | no tests | score |")
    print("|---|---|---|---|---|---|---|")
    survivors = []
    for meta in metas:
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        if not codes:
            continue
        kinds = Counter(KIND.get(c, "suspicious") for c in codes.values())
        checked = sum(kinds.values()) - kinds["skipped"] - kinds["not run"]
        score = (kinds["killed"] + kinds["timeout"]) / checked if checked else 0.0
        module = meta.relative_to(ROOT / "mutants").as_posix()[: -len(".meta")]
        print(f"| {module} | {checked} | {kinds['killed']} | {kinds['timeout']} | {kinds['survived']} "
              f"| {kinds['no tests']} | {score:.1%} |" + ("" if not kinds["not run"] else f" ({kinds['not run']} not run)"))
        survivors += [k for k, c in codes.items() if KIND.get(c) in ("survived", "no tests")]
    print("\nsurvivors (mutmut show NAME):")
    for name in sorted(survivors):
        print("  " + name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Per-module mutation scores from mutmut's cache (mutants/**/*.py.meta), as a Markdown
table for docs/TESTING.md, followed by the surviving mutants' names.

Killed = a test failed (exit 1 or 3); timeout = the mutant made a test hang past mutmut's
limit (a behaviour change too: counted as killed in the score, listed apart); survived =
every covering test passed; no tests = no selected test reaches the function (counted as
surviving). Not run = generated but not tested yet (a full run is hours on 2 cores).

The score is over what ran, with a 95% Wilson interval (exact when every mutant ran). What
ran is not one random sample: it is the mutants of earlier, partial full runs (mutmut runs
the fastest first) plus seeded random samples of the rest (`bash .ci/mutation --sample N`,
recorded in mutants/sample.json). So a second estimate is given for the whole module,
stratified: the non-sampled mutants that ran count as they are, and the rest of the module
(sampled + not run) is estimated from the random sample alone, with its Wilson interval,
using each sampled mutant's first verdict (the sample's survivors are then killed with new
tests, which makes the sample better than the unseen rest it stands for).

    python .ci/mutation_score.py                    # the table and the survivors
    python .ci/mutation_score.py --survivors-only   # names only (for bash .ci/mutation --survivors)
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KIND = {0: "survived", 1: "killed", 3: "killed", 5: "no tests", 33: "no tests", 34: "skipped",
        36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout", None: "not run"}
Z = 1.959964  # two-sided 95%


def wilson(k: int, n: int) -> tuple[float, float]:
    """The 95% Wilson score interval for k successes in n trials."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    denom = 1 + Z * Z / n
    centre = (p + Z * Z / (2 * n)) / denom
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def _pct(lo: float, hi: float) -> str:
    return f"{lo:.0%}-{hi:.0%}"


def module_row(module: str, codes: dict, sampled: set, first: dict) -> tuple[str, list[str]]:
    kinds = Counter(KIND.get(c, "suspicious") for c in codes.values())
    total = len(codes) - kinds["skipped"]
    ran = total - kinds["not run"]
    killed = kinds["killed"] + kinds["timeout"]
    score = killed / ran if ran else 0.0
    ci = "exact (all ran)" if ran == total and ran else _pct(*wilson(killed, ran))
    # the random sample, and the stratified estimate of the whole module
    in_sample = [name for name, c in codes.items() if name in sampled and c is not None]
    n_s = len(in_sample)
    k_now = sum(KIND.get(codes[n], "suspicious") in ("killed", "timeout") for n in in_sample)
    k_s = sum(KIND.get(first.get(n, codes[n]), "suspicious") in ("killed", "timeout") for n in in_sample)
    rest_ran = ran - n_s
    rest_killed = killed - k_now
    estimated = total - rest_ran  # sampled + not run: what the sample stands for
    if ran == total:
        estimate = f"{score:.1%} (exact)"
    elif n_s:
        lo, hi = wilson(k_s, n_s)
        estimate = (f"{(rest_killed + estimated * k_s / n_s) / total:.1%} "
                    f"({_pct((rest_killed + estimated * lo) / total, (rest_killed + estimated * hi) / total)})")
    else:
        estimate = "no sample yet"
    row = (f"| {module} | {total} | {ran} | {kinds['killed']} | {kinds['timeout']} | {kinds['survived']} "
           f"| {kinds['no tests']} | {score:.1%} | {ci} | {kinds['not run']} | {k_s}/{n_s}" + (f" (now {k_now})" if k_now != k_s else "") + f" | {estimate} |")
    survivors = [k for k, c in codes.items() if KIND.get(c) in ("survived", "no tests")]
    return row, survivors


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
    sample_file = ROOT / "mutants" / "sample.json"
    recorded = json.loads(sample_file.read_text()) if sample_file.exists() else {}
    sampled, first = set(recorded.get("sampled", [])), recorded.get("first", {})
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    print(f"commit {commit}\n")
    print("| module | mutants | ran | killed | timeout | survived | no tests | score (ran) | 95% CI "
          "| not run | random sample killed (first run) | module estimate (95% CI) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    survivors = []
    for meta in metas:
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        if not codes:
            continue
        module = meta.relative_to(ROOT / "mutants").as_posix()[: -len(".meta")]
        row, names = module_row(module, codes, sampled, first)
        print(row)
        survivors += names
    print("\nsurvivors (mutmut show NAME):")
    for name in sorted(survivors):
        print("  " + name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

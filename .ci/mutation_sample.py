"""A seeded random sample of not-yet-run mutants, N per module, for `bash .ci/mutation --sample N`.

A full mutmut run over the eight modules is a few thousand mutants (hours on a shared 2-core
machine). A simple random sample of the mutants not run yet gives an unbiased estimate of
each module's score over the rest, with a confidence interval (`.ci/mutation_score.py`).

It first brings mutants/ up to date with the working tree (mutmut's own generation step, so a
changed function's old verdicts are dropped exactly as `mutmut run` drops them), then prints
the chosen names, one a line, and records them in mutants/sample.json (the score table tells
sampled verdicts from the rest by it).

    python .ci/mutation_sample.py N [--seed S] [--only MODULE,...]   # --only: those modules
    python .ci/mutation_sample.py --record     # after the run: keep each sampled mutant's
                                               # first verdict (see below)
    python .ci/mutation_sample.py --not-run MODULE,...   # every not-yet-run mutant of those
                                               # modules (not a sample: nothing is recorded)

The first verdict of each sampled mutant is kept in sample.json ("first"): the estimate for
the mutants nobody looked at comes from those, because killing the sample's survivors with
new tests afterwards makes the sample better than the rest it stands for.
"""

from __future__ import annotations

import json
import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_FILE = ROOT / "mutants" / "sample.json"


def generate_mutants() -> None:
    """mutmut's generation step alone (what `mutmut run` does before testing)."""
    os.chdir(ROOT)
    from mutmut.__main__ import copy_also_copy_files, copy_src_dir, create_mutants, setup_source_paths
    from mutmut.mutation.trampoline import set_mutant_under_test

    set_mutant_under_test("mutant_generation")
    copy_src_dir()
    copy_also_copy_files()
    setup_source_paths()
    create_mutants(1)


def not_run_by_module() -> dict[str, list[str]]:
    out = {}
    for meta in sorted((ROOT / "mutants").rglob("*.py.meta")):
        module = meta.relative_to(ROOT / "mutants").as_posix()[: -len(".py.meta")].replace("/", ".")
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        out[module] = sorted(name for name, code in codes.items() if code is None)
    return out


def record_first_verdicts() -> int:
    recorded = json.loads(SAMPLE_FILE.read_text()) if SAMPLE_FILE.exists() else {"sampled": []}
    first = recorded.setdefault("first", {})
    sampled = set(recorded["sampled"])
    for meta in sorted((ROOT / "mutants").rglob("*.py.meta")):
        for name, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            if name in sampled and code is not None and name not in first:
                first[name] = code
    SAMPLE_FILE.write_text(json.dumps(recorded, indent=1))
    return 0


def main() -> int:
    args = sys.argv[1:]
    if args == ["--record"]:
        return record_first_verdicts()
    if len(args) == 2 and args[0] == "--not-run":
        # the rest of a module, for a full run that does not re-test what already ran
        # (`mutmut run MODULE.*` re-runs every mutant it is named, cached verdicts included)
        stdout = sys.stdout
        sys.stdout = sys.stderr
        generate_mutants()
        sys.stdout = stdout
        modules = args[1].split(",")
        pending = not_run_by_module()
        unknown = [m for m in modules if m not in pending]
        if unknown:
            print(f"no such mutated module: {', '.join(unknown)}", file=sys.stderr)
            return 2
        print("\n".join(name for m in modules for name in pending[m]))
        return 0
    seed = 15
    if "--seed" in args:
        i = args.index("--seed")
        seed = int(args[i + 1])
        del args[i : i + 2]
    only = None
    if "--only" in args:
        i = args.index("--only")
        only = tuple(args[i + 1].split(","))
        del args[i : i + 2]
    if len(args) != 1 or not args[0].isdigit() or int(args[0]) < 1:
        print("usage: python .ci/mutation_sample.py N [--seed S] [--only MODULE,...]", file=sys.stderr)
        return 2
    n = int(args[0])
    stdout = sys.stdout
    sys.stdout = sys.stderr  # mutmut's generation prints file names; stdout carries only the sample
    generate_mutants()
    sys.stdout = stdout
    chosen = []
    for module, names in not_run_by_module().items():
        if only and module not in only:
            continue
        # one generator per module and seed: a module's sample does not shift when another changes
        rng = random.Random(f"{seed}:{module}")
        chosen += rng.sample(names, min(n, len(names)))
    recorded = json.loads(SAMPLE_FILE.read_text()) if SAMPLE_FILE.exists() else {"sampled": []}
    # a sampled mutant whose function changed since has lost its verdict, and its name may
    # now stand for another mutation: it leaves the sample (a new draw may pick it again)
    verdict = {name: code for meta in sorted((ROOT / "mutants").rglob("*.py.meta"))
               for name, code in json.loads(meta.read_text())["exit_code_by_key"].items()}
    kept = {name for name in recorded["sampled"] if verdict.get(name) is not None}
    recorded["first"] = {k: v for k, v in recorded.get("first", {}).items() if k in kept}
    recorded["sampled"] = sorted(kept | set(chosen))
    SAMPLE_FILE.write_text(json.dumps(recorded, indent=1))
    print("\n".join(chosen))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

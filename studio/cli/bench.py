"""``sequence-studio bench``: speed figures as ratios against baselines run in the same process."""

from __future__ import annotations

import json


def add_parser(sub):
    b = sub.add_parser("bench", help="speed figures as ratios against baselines (JSON)")
    b.add_argument("--quick", action="store_true", help="fewer tokens (a smoke run)")
    return b


def run(args) -> int:
    from studio.core.bench import run_bench

    print(json.dumps(run_bench(quick=args.quick), indent=2))
    return 0

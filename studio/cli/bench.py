"""``sequence-studio bench``: speed figures as ratios against baselines run in the same process."""

from __future__ import annotations

import json


def add_parser(sub):
    b = sub.add_parser("bench", help="speed figures as ratios against baselines (JSON)")
    b.add_argument("--quick", action="store_true", help="fewer tokens (a smoke run)")
    b.add_argument("--sizes", help="only batch-1 sampling speed of these sizes on the CPU, "
                   "e.g. lstm:2x512,gru:2x640 (random weights)")
    b.add_argument("--device", default="cpu", choices=("cpu", "cuda"),
                   help="cuda: the GPU figures (graphs vs eager, trainer, bf16, memory)")
    b.add_argument("--jazz", action="store_true", help="add the jazz path's sampling speed")
    return b


def run(args) -> int:
    from studio.bench.engine import parse_sizes, run_bench, size_figures

    if args.sizes:
        sizes = parse_sizes(args.sizes)  # a ValueError is main()'s one clear message
        print(json.dumps(size_figures(sizes, 200 if args.quick else 1000), indent=2))
        return 0
    if args.device == "cuda":
        from studio.bench.cuda import run_cuda_bench

        out = run_cuda_bench(quick=args.quick)  # no GPU: a ValueError, main()'s clear message
    else:
        out = run_bench(quick=args.quick)
    if args.jazz or args.device == "cuda":
        from studio.bench.jazz import jazz_figures

        out["jazz"] = jazz_figures(args.device)
    print(json.dumps(out, indent=2))
    return 0

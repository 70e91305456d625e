"""``sequence-studio bench``: speed figures as ratios against baselines run in the same process;
``--ui``: the window's responsiveness while training runs (``studio.gui.ui_probe``)."""

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
    b.add_argument("--ui", action="store_true",
                   help="the window's responsiveness while the Train tab trains: UI-thread "
                        "ping lateness (p50/p95/max ms) with 2 and 1 processes, the load "
                        "beside it (opens the window offscreen; studio.gui.ui_probe)")
    ui = b.add_argument_group("--ui options")
    ui.add_argument("--processes", default="2,1", help="--ui: the runs' process counts (default 2,1)")
    ui.add_argument("--seconds", type=float, default=20.0,
                    help="--ui: seconds of training measured per run (default 20)")
    return b


def run(args) -> int:
    if args.ui:  # the window's package (bench may not import the window)
        from studio.gui.ui_probe import parse_processes, run_probe

        counts = parse_processes(args.processes)  # a ValueError is main()'s clear message
        print(json.dumps(run_probe(counts, 5.0 if args.quick else args.seconds), indent=2))
        return 0
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

"""The jazz path's sampling speed (``sequence-studio bench --jazz``, and with
``--device cuda``): a shipped jazz model over a Bb blues, one take at a time.

The jazz grammar masks every step from the tokens already played, so the host must read
each token before the next step: the CUDA sampler runs one-step blocks here (the graph
saves the launches, not the round trip). Figures: tokens/s of ``generate_takes`` with CUDA
graphs vs. the same steps run eagerly, best of three takes after a warm-up take.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace

import torch


def _take_rate(ckpt, settings) -> float:
    from studio.music.chart import PRESETS
    from studio.music.generate import generate_takes

    if ckpt.model.head.weight.is_cuda:
        torch.cuda.synchronize()
    t = time.perf_counter()
    takes = generate_takes(ckpt, PRESETS["Bb blues"], settings)
    return sum(len(take.tokens) for take in takes) / (time.perf_counter() - t)


def jazz_figures(device: str = "cpu", model: str = "jazz-lstm", choruses: int = 4) -> dict:
    from studio.core.checkpoint import load_checkpoint
    from studio.music.generate import JazzSettings
    from studio.paths import shipped_models_dir

    ckpt = load_checkpoint(shipped_models_dir() / f"{model}.safetensors", device=device)
    # one temperature for pitch and rhythm and no licks, so the graph mode really captures a
    # graph (device_sampler.graph_capable refuses token classes, sample_stream a per-step
    # bias; the tuned default uses both)
    settings = JazzSettings(seed=1, choruses=choruses, tempo=160, pitch_temperature=1.0,
                            rhythm_temperature=1.0, licks=0.0)
    modes = {"graph": "1", "eager": "0"} if device.startswith("cuda") else {"host": None}
    out = {"model": model, "chart": f"Bb blues x {choruses}", "device": device}
    before = os.environ.get("STUDIO_CUDA_GRAPHS")
    try:
        for name, flag in modes.items():
            if flag is not None:
                os.environ["STUDIO_CUDA_GRAPHS"] = flag  # the sampler's own switch
            _take_rate(ckpt, settings)  # warm-up: capture, cuDNN plans
            out[f"{name}_tok_s"] = round(max(_take_rate(ckpt, settings) for _ in range(3)))
    finally:
        if before is None:
            os.environ.pop("STUDIO_CUDA_GRAPHS", None)
        else:
            os.environ["STUDIO_CUDA_GRAPHS"] = before
    if "graph_tok_s" in out:
        out["graph_vs_eager"] = round(out["graph_tok_s"] / out["eager_tok_s"], 2)
    else:
        # the stored settings (licks, the two temperatures) with and without the line's
        # calibrations (intervals and rhythm: a bias table lookup per row and step)
        tuned = JazzSettings(seed=1, choruses=choruses, tempo=160)
        for name, intervals in (("calibrated", True), ("uncalibrated", False)):
            run = replace(tuned, intervals=intervals)
            _take_rate(ckpt, run)
            out[f"{name}_tok_s"] = round(max(_take_rate(ckpt, run) for _ in range(3)))
        out["calibrated_vs_uncalibrated"] = round(out["calibrated_tok_s"] / out["uncalibrated_tok_s"], 2)
    return out

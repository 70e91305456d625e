"""``sequence-studio bench --device cuda``: the GPU figures, each against a baseline run in
the same process on the same GPU.

- sampling at batch 1 and 64, LSTM and GRU 2x512 (the shipped Shakespeare size): the
  sampler with CUDA graphs vs. the same blocks run eagerly vs. the old way (nn.LSTM/GRU
  with seq_len 1 and a host sync per step); a first take's capture cost apart;
- the trainer (``--precision fp32``) vs. a bare loop (same model, batches, AdamW,
  clipping), 2x512;
- the bare loop in float32 vs. bf16 autocast (what the trainer's default ``--precision
  auto`` uses on a GPU with bf16), tokens/s and peak GPU memory of each.
The jazz path (its grammar mask each step) is measured by ``studio.bench.jazz``,
which the CLI adds: the engine knows no domain.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import platform
import subprocess
import tempfile
import time

import torch
import torch.nn.functional as F

from studio.core.training import batches as B
from studio.bench.engine import VOCAB, _best, _net, _ours
from studio.core.net import NetConfig, SequenceNet


@torch.no_grad()
def _nn_step(net, batch: int, tokens: int) -> float:
    """The pre-graph CUDA sampler: the fused module per token, the token read each step."""
    device = net.head.weight.device
    gen = torch.Generator(device=device).manual_seed(0)
    tok = torch.zeros(batch, 1, dtype=torch.long, device=device)
    state = None
    _sync()
    t = time.perf_counter()
    for _ in range(tokens):
        logits, state = net(tok, state)
        tok = torch.multinomial(torch.softmax(logits[:, -1], -1), 1, generator=gen)
        tok.tolist()
    return tokens * batch / (time.perf_counter() - t)


def _sync() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def _peak() -> int:
    return torch.cuda.max_memory_allocated() if torch.cuda.is_available() else 0


def _reset_peak() -> None:
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()


def _rate(net, batch: int, tokens: int, graph: bool) -> float:
    _sync()  # nothing of an earlier run still in flight
    return _ours(net, batch, tokens, cuda_graph=graph)


def _first_take(net, tokens: int) -> tuple[float, float]:
    """A take with a fresh capture (what the first sample after loading a model costs)."""
    net.__dict__.pop("_block_runner", None)
    _sync()
    t = time.perf_counter()
    rate = _ours(net, 1, tokens)
    return rate, time.perf_counter() - t


def sampling_figures(tokens: int, device="cuda", hidden=512) -> dict:
    out = {}
    for cell in ("lstm", "gru"):
        net = _net(2, hidden, cell, device=device)
        rate, seconds = _first_take(net, 500)
        row = {"first_take_500_tokens_s": round(seconds, 3)}
        for batch in (1, 64):
            n = tokens if batch == 1 else max(200, tokens // 4)
            _ours(net, batch, 64, cuda_graph=True)  # capture outside the timing
            graph = _best(_rate, net, batch, n, True)
            eager = _best(_rate, net, batch, n, False)
            _nn_step(net, batch, 20)
            old = _best(_nn_step, net, batch, min(n, 1000))
            row[f"batch_{batch}"] = {"graph_tok_s": round(graph), "eager_tok_s": round(eager),
                                     "nn_step_sync_tok_s": round(old),
                                     "graph_vs_eager": round(graph / eager, 2),
                                     "graph_vs_nn_step": round(graph / old, 2)}
        out[f"{cell}_2x{hidden}"] = row
    return out


def _stream_corpus(steps: int, batch: int, window: int):
    from studio.core.corpus import Corpus
    from studio.core.vocab import Vocab

    g = torch.Generator().manual_seed(0)
    ids = torch.randint(2, VOCAB, (batch * window * (steps + 4),), generator=g)
    vocab = Vocab(["<end>", "<unk>"] + [chr(48 + i) for i in range(VOCAB - 2)])
    corpus = Corpus(kind="bench", vocab=vocab, report={"items": 0}, sha256="bench", name="bench",
                    mode="stream", encoding="bench", train_ids=ids, val_ids=ids[:batch * (window + 1)])
    return ids, corpus


def _trainer_rate(corpus, cfg) -> float:
    from studio.core.training.trainer import Trainer

    times = []
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(cfg, corpus, os.path.join(tmp, "b.safetensors"))
        trainer.on("step", lambda e: times.append(time.perf_counter()))
        trainer.run()
    skip = 3  # cuDNN plans and the allocator warm up in the first steps
    return (len(times) - skip - 1) * cfg.batch_size * cfg.window / (times[-1] - times[skip])


def _bare_rate(ids, cfg, steps: int, autocast: torch.dtype | None = None) -> tuple[float, int]:
    """The same model, batches and optimizer in a plain loop (optionally under autocast):
    tokens/s and peak GPU memory in bytes."""
    torch.manual_seed(cfg.seed)
    net = SequenceNet(NetConfig(cell=cfg.cell, vocab_size=VOCAB, layers=cfg.layers,
                                hidden=cfg.hidden, embedding=cfg.embedding)).to(cfg.device)
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    amp = torch.autocast(cfg.device, dtype=autocast) if autocast else contextlib.nullcontext()
    _sync()
    _reset_peak()
    state, stamps = None, []
    net.train()
    for i, batch in enumerate(B.stream_batches(ids, cfg.batch_size, cfg.window)):
        if i >= steps:
            break
        x, y = batch.x.to(cfg.device), batch.y.to(cfg.device)
        with amp:
            logits, state = net(x, None if state is None else tuple(s.detach() for s in state))
            loss = F.cross_entropy(logits.reshape(-1, VOCAB).float(), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        loss.item()
        stamps.append(time.perf_counter())
    skip = 3
    rate = (len(stamps) - skip - 1) * cfg.batch_size * cfg.window / (stamps[-1] - stamps[skip])
    return rate, _peak()


def training_figures(steps: int, rounds: int, device="cuda", hidden=512, batches=(64, 256)) -> dict:
    from studio.core.training.trainer import TrainConfig

    out = {}
    for batch in batches:
        ids, corpus = _stream_corpus(steps, batch, 128)
        cfg = TrainConfig(kind="bench", cell="lstm", layers=2, hidden=hidden, embedding=64,
                          batch_size=batch, window=128, max_steps=steps, epochs=1,
                          eval_every=10**9, sample_every=0, device=device, warmup=1,
                          precision="fp32")  # like for like with the float32 bare loop
        trainer, bare, bf16 = [], [], []
        mem = {}
        for _ in range(rounds):
            _reset_peak()
            trainer.append(_trainer_rate(corpus, cfg))
            mem["trainer"] = _peak()
            rate, mem["fp32"] = _bare_rate(ids, cfg, steps)
            bare.append(rate)
            try:
                rate, mem["bf16"] = _bare_rate(ids, cfg, steps, torch.bfloat16)
                bf16.append(rate)
            except RuntimeError as exc:  # a cuDNN without bf16 RNNs: say so, keep the rest
                mem["bf16_error"] = str(exc).splitlines()[0][:200]
        t, b = max(trainer), max(bare)
        row = {"model": f"LSTM 2x{hidden}, batch {batch} x window 128", "rounds": rounds,
               "trainer_tok_s": round(t), "bare_fp32_tok_s": round(b),
               "ratio_trainer_vs_bare": round(t / b, 3),
               "peak_mb_trainer": round(mem["trainer"] / 2**20),
               "peak_mb_bare_fp32": round(mem["fp32"] / 2**20)}
        if bf16:
            row.update(bare_bf16_autocast_tok_s=round(max(bf16)),
                       ratio_bf16_vs_fp32=round(max(bf16) / b, 3),
                       peak_mb_bare_bf16=round(mem["bf16"] / 2**20))
        else:
            row["bf16_error"] = mem.get("bf16_error")
        out[f"batch_{batch}"] = row
    return out


def machine() -> dict:
    try:
        driver = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                                capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        driver = "unknown"
    return {"gpu": torch.cuda.get_device_name(0), "driver": driver, "torch": torch.__version__,
            "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version(),
            "python": platform.python_version(), "date": datetime.date.today().isoformat()}


def run_cuda_bench(quick: bool = False) -> dict:
    if not torch.cuda.is_available():
        raise ValueError("bench --device cuda needs a CUDA GPU (none is available here)")
    return {"machine": machine(),
            "sampling": sampling_figures(300 if quick else 3000),
            "training": training_figures(8 if quick else 60, rounds=1 if quick else 2)}

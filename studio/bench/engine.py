"""``sequence-studio bench``: speed as ratios against baselines run in the same process.

Figures are throughput ratios, not absolute claims: the machine's load shifts both sides
alike. Baselines share our sampling arithmetic (softmax + multinomial per step) and thread
count, so each ratio isolates one design choice:
- sampler vs. calling nn.LSTM with seq_len 1 each step (the fused module's per-call cost);
- sampler vs. re-running the whole prefix each step (makemore's way: O(T^2));
- trainer vs. a bare PyTorch loop of the same model, batches and optimizer;
- checkpoint load time in milliseconds.
"""

from __future__ import annotations

import contextlib
import os
import platform
import statistics
import tempfile
import time

import torch
import torch.nn.functional as F

from studio.core.training import batches as B
from studio.core.net import NetConfig, SequenceNet
from studio.core.sampling.sampler import SMALL_BATCH, SampleSettings, sample_stream

VOCAB = 65


@contextlib.contextmanager
def _threads(n: int):
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _net(layers: int, hidden: int, cell: str = "lstm", device="cpu") -> SequenceNet:
    torch.manual_seed(0)
    return SequenceNet(NetConfig(cell=cell, vocab_size=VOCAB, layers=layers, hidden=hidden,
                                 embedding=64)).to(device).eval()


def parse_sizes(text: str) -> list[tuple[str, int, int]]:
    """``lstm:2x512,gru:3x384`` -> [("lstm", 2, 512), ("gru", 3, 384)] (ValueError if bad)."""
    out = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        try:
            cell, shape = part.split(":")
            layers, hidden = (int(v) for v in shape.lower().split("x"))
        except ValueError:
            raise ValueError(f"size {part!r}: write CELL:LAYERSxHIDDEN, e.g. lstm:2x512") from None
        NetConfig(cell=cell, vocab_size=VOCAB, layers=layers, hidden=hidden)  # validates
        out.append((cell, layers, hidden))
    if not out:
        raise ValueError("no sizes given (e.g. --sizes lstm:2x512,gru:2x512)")
    return out


def size_figures(sizes, tokens: int) -> dict:
    """Batch-1 sampling speed of candidate sizes (random weights; the arithmetic does not
    depend on the values), the sampler's own CPU path and thread policy: what a model of
    that size will stream at on this machine."""
    out = {}
    for cell, layers, hidden in sizes:
        net = _net(layers, hidden, cell)
        with _threads(1):
            _ours(net, 1, 20)
            rate = _best(_ours, net, 1, tokens)
        out[f"{cell}_{layers}x{hidden}"] = {"parameters": net.num_parameters(),
                                            "fp16_file_mb": round(net.num_parameters() * 2 / 1e6, 1),
                                            "batch_1_tok_s": round(rate)}
    return out


def _ours(net, batch: int, tokens: int, **kwargs) -> float:
    settings = SampleSettings(max_length=tokens, count=batch, seed=0, stop_at_end=False)
    t = time.perf_counter()
    n = sum(1 for _ in sample_stream(net, [0], settings, **kwargs))
    return n * batch / (time.perf_counter() - t)


@torch.no_grad()
def _nn_step(net, batch: int, tokens: int) -> float:
    gen = torch.Generator().manual_seed(0)
    tok = torch.zeros(batch, 1, dtype=torch.long)
    state = None
    t = time.perf_counter()
    for _ in range(tokens):
        logits, state = net(tok, state)
        tok = torch.multinomial(torch.softmax(logits[:, -1], -1), 1, generator=gen)
    return tokens * batch / (time.perf_counter() - t)


@torch.no_grad()
def _rerun_prefix(net, batch: int, tokens: int) -> float:
    gen = torch.Generator().manual_seed(0)
    seq = torch.zeros(batch, 1, dtype=torch.long)
    t = time.perf_counter()
    for _ in range(tokens):
        logits, _ = net(seq)
        nxt = torch.multinomial(torch.softmax(logits[:, -1], -1), 1, generator=gen)
        seq = torch.cat([seq, nxt], 1)
    return tokens * batch / (time.perf_counter() - t)


def _best(fn, *args, repeats: int = 3) -> float:
    """The best of a few runs: other load on the machine only ever slows a run down."""
    return max(fn(*args) for _ in range(repeats))


def sampling_figures(tokens: int, rerun_tokens: int) -> dict:
    net = _net(2, 256)
    default_threads = torch.get_num_threads()
    out = {}
    for batch in (1, 64):
        threads = 1 if batch <= SMALL_BATCH else default_threads  # the sampler's own policy
        with _threads(threads):
            _ours(net, batch, 20)  # warm up TorchScript and oneDNN primitives
            _nn_step(net, batch, 20)
            ours = _best(_ours, net, batch, tokens)
            step = _best(_nn_step, net, batch, min(tokens, 300))
            rerun = _rerun_prefix(net, batch, rerun_tokens if batch == 1 else min(rerun_tokens, 200))
        row = {"threads": threads, "ours_tok_s": round(ours), "nn_lstm_step_tok_s": round(step),
               "rerun_prefix_tok_s": round(rerun, 1),
               "rerun_prefix_tokens": rerun_tokens if batch == 1 else min(rerun_tokens, 200),
               "ratio_vs_nn_lstm_step": round(ours / step, 2),
               "ratio_vs_rerun_prefix": round(ours / rerun, 1)}
        if threads != default_threads:  # what a plain nn.LSTM loop gets with torch's defaults
            _nn_step(net, batch, 20)
            naive = _best(_nn_step, net, batch, min(tokens, 300))
            row.update(nn_lstm_step_default_threads_tok_s=round(naive),
                       ratio_vs_nn_lstm_step_default_threads=round(ours / naive, 2))
        out[f"batch_{batch}"] = row
    big = _net(3, 512)
    with _threads(1):
        _ours(big, 1, 20)
        _nn_step(big, 1, 20)
        out["lstm_3x512_batch_1_tok_s"] = round(_best(_ours, big, 1, tokens))
        out["lstm_3x512_nn_lstm_step_tok_s"] = round(_best(_nn_step, big, 1, min(tokens, 200)))
    return out


def _trainer_rate(corpus, cfg) -> float:
    from studio.core.training.trainer import Trainer

    times = []
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(cfg, corpus, os.path.join(tmp, "b.safetensors"))
        trainer.on("step", lambda e: times.append(time.perf_counter()))
        trainer.run()
    return (len(times) - 2) * 64 * 128 / (times[-1] - times[1])  # skip the warm-up step


def _bare_rate(ids: torch.Tensor, cfg, steps: int) -> float:
    """The same model, batches and optimizer in a plain loop: the trainer's yardstick."""
    torch.manual_seed(cfg.seed)
    net = SequenceNet(NetConfig(cell="lstm", vocab_size=VOCAB, layers=2, hidden=256, embedding=64))
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    state, stamps = None, []
    net.train()
    for i, batch in enumerate(B.stream_batches(ids, 64, 128)):
        if i >= steps:
            break
        logits, state = net(batch.x, None if state is None else tuple(s.detach() for s in state))
        loss = F.cross_entropy(logits.reshape(-1, VOCAB), batch.y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        loss.item()
        stamps.append(time.perf_counter())
    return (len(stamps) - 2) * 64 * 128 / (stamps[-1] - stamps[1])


def trainer_figures(steps: int, rounds: int = 2) -> dict:
    """Trainer vs. bare loop, alternated ``rounds`` times; the best of each side counts
    (other load on the machine only ever slows a run down)."""
    from studio.core.corpus import Corpus
    from studio.core.training.trainer import TrainConfig
    from studio.core.vocab import Vocab

    g = torch.Generator().manual_seed(0)
    ids = torch.randint(2, VOCAB, (64 * 128 * (steps + 4),), generator=g)
    vocab = Vocab(["<end>", "<unk>"] + [chr(48 + i) for i in range(VOCAB - 2)])
    corpus = Corpus(kind="bench", vocab=vocab, report={"items": 0}, sha256="bench", name="bench",
                    mode="stream", encoding="bench", train_ids=ids, val_ids=ids[:64 * 129])
    cfg = TrainConfig(kind="bench", layers=2, hidden=256, embedding=64, batch_size=64, window=128,
                      max_steps=steps, epochs=1, eval_every=10**9, sample_every=0, device="cpu", warmup=1)
    trainer_rates, bare_rates = [], []
    for _ in range(rounds):
        trainer_rates.append(_trainer_rate(corpus, cfg))
        bare_rates.append(_bare_rate(ids, cfg, steps))
    t, b = max(trainer_rates), max(bare_rates)
    return {"model": "LSTM 2x256, batch 64 x window 128", "rounds": rounds,
            "trainer_tok_s": round(t), "bare_loop_tok_s": round(b),
            "ratio_trainer_vs_bare": round(t / b, 3)}


def load_figures() -> dict:
    from studio.core.checkpoint import load_checkpoint, save_checkpoint
    from studio.core.vocab import Vocab

    vocab = Vocab(["<end>", "<unk>"] + [chr(48 + i) for i in range(VOCAB - 2)])
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for layers, hidden in ((2, 512), (3, 512)):
            net = _net(layers, hidden)
            path = os.path.join(tmp, "m.safetensors")
            save_checkpoint(path, net, vocab, {"domain": "bench"})
            load_checkpoint(path)
            ms = []
            for _ in range(5):
                t = time.perf_counter()
                load_checkpoint(path)
                ms.append((time.perf_counter() - t) * 1000)
            out[f"load_ms_lstm_{layers}x{hidden}"] = round(statistics.median(ms), 1)
    return out


def run_bench(quick: bool = False) -> dict:
    tokens = 100 if quick else 500
    return {
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                    "torch": torch.__version__, "python": platform.python_version()},
        "sampling": sampling_figures(tokens, rerun_tokens=tokens),
        "training": trainer_figures(6 if quick else 25, rounds=1 if quick else 3),
        "checkpoint": load_figures(),
    }

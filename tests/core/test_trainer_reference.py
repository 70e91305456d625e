"""The trainer's update against a bare PyTorch loop (the reference): same seed, same
batches, AdamW and ``clip_grad_norm_`` written out here. Gradient clipping must hold the
norm the optimizer sees to the threshold, and the weights must end where the bare loop's do.
Both run on the test device (STUDIO_TEST_DEVICE; deterministic algorithms on CUDA, see
conftest.py), so they sum in the same order and the CPU's tolerances hold there too."""

import math

import pytest
import torch
import torch.nn.functional as F

from studio.core.training import batches as B
from studio.core.data import load_corpus
from studio.core.net import NetConfig, SequenceNet
from studio.core.training.trainer import TrainConfig, Trainer

STEPS = 6


def _config(clip: float, device: str = "cpu") -> TrainConfig:
    return TrainConfig(kind="names", cell="gru", layers=1, hidden=32, embedding=8, dropout=0.0,
                       batch_size=16, epochs=1, max_steps=STEPS, lr=1e-2, weight_decay=0.05,
                       warmup=0, schedule="constant", clip=clip, eval_every=10**6, sample_every=0,
                       seed=5, device=device, precision="fp32")  # the bare loop is float32 (auto: bf16 on CUDA)


def _grad_norm(params) -> float:
    return float(torch.sqrt(sum((p.grad.double() ** 2).sum() for p in params if p.grad is not None)))


def run_trainer(corpus, cfg, out, steps=STEPS):
    """Train; record the emitted (pre-clip) norms and the norm of the gradients at each
    optimizer step (after clipping)."""
    trainer = Trainer(cfg, corpus, out)
    emitted, seen = [], []
    trainer.on("step", lambda e: emitted.append(e["grad_norm"]))
    step = trainer.optimizer.step

    def spying_step(*args, **kwargs):
        seen.append(_grad_norm(trainer.model.parameters()))
        return step(*args, **kwargs)

    trainer.optimizer.step = spying_step
    trainer.run()
    if steps is not None:
        assert trainer.step == steps
    return trainer.model, emitted, seen


def run_bare_loop(corpus, cfg):
    """What the trainer should do, in the plainest PyTorch."""
    torch.manual_seed(cfg.seed)
    net = SequenceNet(NetConfig(cell=cfg.cell, vocab_size=len(corpus.vocab), layers=cfg.layers,
                                hidden=cfg.hidden, embedding=cfg.embedding)).to(cfg.device)
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, betas=(0.9, 0.99))
    net.train()
    pre, post = [], []
    batches = B.names_batches(corpus.train_sequences(0), cfg.batch_size, seed=cfg.seed,
                              pad_id=corpus.vocab.end_id)
    for _, batch in zip(range(STEPS), batches):
        logits, _ = net(batch.x.to(cfg.device))
        loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), batch.y.to(cfg.device).reshape(-1),
                               ignore_index=-100)
        opt.zero_grad()
        loss.backward()
        pre.append(_grad_norm(net.parameters()))
        if cfg.clip > 0:
            torch.nn.utils.clip_grad_norm_(net.parameters(), cfg.clip)
        post.append(_grad_norm(net.parameters()))
        opt.step()
    return net, pre, post


@pytest.mark.parametrize("clip", [0.05, 0.0], ids=["clip-0.05", "clip-off"])
def test_clipped_update_matches_a_bare_pytorch_loop(tmp_path, names_file, clip, device):
    corpus = load_corpus(names_file, "names")
    cfg = _config(clip, device)
    model, emitted, seen = run_trainer(corpus, cfg, tmp_path / "m.safetensors")
    bare, pre, post = run_bare_loop(corpus, cfg)
    assert len(emitted) == len(seen) == STEPS
    assert emitted == pytest.approx(pre, rel=1e-5)  # the curve shows the norm before clipping
    assert seen == pytest.approx(post, rel=1e-5)    # what the optimizer gets
    if clip:
        assert min(pre) > 2 * clip  # so clipping is really exercised
        assert all(n <= clip * (1 + 1e-5) for n in seen)
    else:
        assert seen == pytest.approx(pre, rel=1e-5)  # clipping off leaves gradients alone
    for (name, a), b in zip(model.state_dict().items(), bare.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-6), name


def _lr_at(cfg, step, total):
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    progress = min(1.0, (step - cfg.warmup) / max(1, total - cfg.warmup))
    return cfg.lr * (cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * (1 + math.cos(math.pi * progress)) / 2)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_truncated_bptt_over_two_epochs_matches_a_bare_loop(tmp_path, text_file, cell, device):
    """Text: parallel lanes, the state carried (detached) from window to window and reset at
    each epoch, the window boundaries shifted by 37 tokens per epoch, warmup + cosine, clip."""
    corpus = load_corpus(text_file, "text")
    cfg = TrainConfig(kind="text", cell=cell, layers=2, hidden=16, embedding=8, dropout=0.0,
                      batch_size=4, window=32, epochs=2, lr=1e-2, weight_decay=0.05, warmup=3, schedule="cosine",
                      min_lr_ratio=0.3, clip=0.5, eval_every=10**6, sample_every=0, seed=9, device=device,
                      precision="fp32")  # as the bare loop (the default, auto, is bf16 on CUDA)
    model, _, _ = run_trainer(corpus, cfg, tmp_path / "s.safetensors", steps=None)

    torch.manual_seed(cfg.seed)
    net = SequenceNet(NetConfig(cell=cell, vocab_size=len(corpus.vocab), layers=2, hidden=16,
                                embedding=8)).to(device)
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, betas=(0.9, 0.99))
    ids = corpus.train_ids.long().to(device)  # stored compact (uint8/uint16); the net embeds int64
    lanes, length = 4, (ids.numel() - 1) // 4
    xs = ids[: lanes * length].view(lanes, length)
    ys = ids[1: lanes * length + 1].view(lanes, length)
    # the schedule counts ceil((length - 1) / window) steps per epoch; a shifted epoch can
    # have one window fewer, so the run may spill into a third epoch to reach its steps
    total = 2 * math.ceil((length - 1) / 32)
    windows = [(epoch, pos) for epoch in range(3) for pos in range(epoch * 37 % 32, length - 1, 32)][:total]
    net.train()
    state = None
    for step, (epoch, pos) in enumerate(windows):
        if pos == epoch * 37 % 32:
            state = None  # a new epoch starts from a zero state
        for group in opt.param_groups:
            group["lr"] = _lr_at(cfg, step, total)
        logits, state = net(xs[:, pos:pos + 32], state)
        loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), ys[:, pos:pos + 32].reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), cfg.clip)
        opt.step()
        state = tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()
    for (name, a), b in zip(model.state_dict().items(), net.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-5), name

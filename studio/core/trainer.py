"""The trainer: model-agnostic loop, callbacks out, checkpoints in one file.

Truncated BPTT for streams (state carried across windows, detached between them), padded
and masked batches for names, AdamW, gradient-norm clipping every step, warmup + cosine LR,
a deterministic validation split, best-by-validation checkpointing, early stopping,
resume (weights, optimizer, position, carried state and RNG) and a clean stop on request.
It knows no GUI: it reports through ``on(event, fn)`` callbacks, which the CLI prints as
JSON lines for the GUI's QProcess, or as a terminal progress bar.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

import torch
import torch.nn.functional as F

from studio.core import batches as B
from studio.core.checkpoint import load_checkpoint, save_checkpoint
from studio.core.devices import resolve_device
from studio.core.domain import get_domain
from studio.core.evaluate import EvaluationStopped
from studio.core.net import NetConfig, SequenceNet, detach_state
from studio.core.train_config import TrainConfig, kind_defaults  # noqa: F401  (re-exported)


class Trainer:
    EVENTS = ("report", "info", "step", "eval", "sample", "checkpoint", "stopped", "done")

    def __init__(self, config: TrainConfig, corpus, out_path, resume=None, init_from=None,
                 allow_corpus_change: bool = False):
        self.config = config
        self.corpus = corpus
        config.kind = config.kind or corpus.kind
        self.out_path = Path(out_path)
        self.resume_path = resume_path_for(self.out_path)
        _remove_stale_temps(self.out_path, self.resume_path)
        self.callbacks: dict[str, list] = {e: [] for e in self.EVENTS}
        self.notes: list[str] = []
        self._stop = False
        self._stop_requested = False   # by request_stop (not early stopping)
        self.allow_corpus_change = allow_corpus_change
        self.device, self.device_note = resolve_device(config.device)
        torch.manual_seed(config.seed)
        self.step = 0
        self.epoch = 0
        self.batch_in_epoch = 0
        self.best_val = math.inf
        self.bad_evals = 0
        self.history: list[dict] = []
        self.carry_state = None
        self.tokens_seen = 0
        self.seconds = 0.0
        opt_state = None
        if resume is not None:
            ck = load_checkpoint(resume, with_optimizer=True)
            opt_state = self._restore(ck)
            self.model = ck.model
        elif init_from is not None:
            ck = load_checkpoint(init_from)
            if ck.domain != config.kind:
                raise ValueError(f"cannot fine-tune a {ck.domain} model on a {config.kind} corpus")
            self.model = ck.model
            self.config.cell, self.config.layers = ck.model.config.cell, ck.model.config.layers
            self.config.hidden, self.config.embedding = ck.model.config.hidden, ck.model.config.embedding
            self.init_from = str(init_from)
        else:
            self.model = SequenceNet(NetConfig(cell=config.cell, vocab_size=len(corpus.vocab),
                                               layers=config.layers, hidden=config.hidden,
                                               embedding=config.embedding, dropout=config.dropout))
        self.model.to(self.device)
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=config.lr,
                                           weight_decay=config.weight_decay, betas=(0.9, 0.99))
        if opt_state is not None:
            self.optimizer.load_state_dict(opt_state)
        self.steps_per_epoch = self._count_steps_per_epoch()
        total = self.steps_per_epoch * config.epochs
        self.total_steps = min(total, config.max_steps) if config.max_steps else total

    # -- events ---------------------------------------------------------------------------
    def on(self, event: str, fn) -> None:
        self.callbacks[event].append(fn)

    def emit(self, event: str, **data) -> None:
        for fn in self.callbacks[event]:
            fn(dict(event=event, **data))

    def request_stop(self) -> None:
        """Checked each step and inside validation: the loop writes a resume checkpoint and
        returns (a validation pass in flight is abandoned, not recorded)."""
        self._stop = True
        self._stop_requested = True

    # -- the loop -------------------------------------------------------------------------
    def run(self) -> dict:
        cfg = self.config
        self.emit("report", **self.corpus.report)
        for note in ([self.device_note] if self.device_note else []) + self.notes:
            self.emit("info", message=note)
        self.emit("info", message=f"{cfg.cell.upper()} {cfg.layers}x{cfg.hidden}, "
                  f"{self.model.num_parameters():,} parameters, on {self.device}, "
                  f"{self.total_steps} steps")
        started = time.perf_counter() - self.seconds
        first_step, run_started = self.step, time.perf_counter()
        rate = None
        last_loss = math.nan
        while self.step < self.total_steps and not self._stop:
            fresh_epoch = self.batch_in_epoch == 0
            for batch in self._epoch_batches(self.epoch, skip=self.batch_in_epoch):
                fresh_epoch = False
                t0 = time.perf_counter()
                loss, grad_norm = self._train_step(batch)
                self.step += 1
                self.batch_in_epoch += 1
                self.tokens_seen += batch.tokens
                dt = time.perf_counter() - t0
                rate = batch.tokens / dt if rate is None else 0.9 * rate + 0.1 * batch.tokens / dt
                last_loss = loss
                elapsed = time.perf_counter() - run_started
                eta = elapsed / max(1, self.step - first_step) * (self.total_steps - self.step)
                self.emit("step", step=self.step, epoch=round(self.epoch + self.batch_in_epoch / self.steps_per_epoch, 3),
                          loss=loss, grad_norm=grad_norm, lr=self.optimizer.param_groups[0]["lr"],  # this step's
                          tokens_per_s=round(rate, 1),
                          eta_s=round(eta, 1), progress=round(self.step / self.total_steps, 4))
                done = self.step >= self.total_steps
                if self.step % cfg.eval_every == 0 or done:
                    self.seconds = time.perf_counter() - started
                    if self._evaluate(last_loss):
                        self._stop = True  # early stop
                        self.emit("info", message=f"early stop: no improvement in {cfg.patience} evaluations")
                if done or self._stop:
                    break
            else:
                if fresh_epoch:  # would loop forever: say why instead
                    raise ValueError("the training split gives no batches (is the corpus smaller "
                                     "than one --batch x --window, or --val-fraction too large?)")
                self.epoch += 1
                self.batch_in_epoch = 0
                self.carry_state = None
                continue
            break
        self.seconds = time.perf_counter() - started
        if not self._stop_requested and (not self.history or self.history[-1]["step"] != self.step):
            self._evaluate(last_loss)  # a requested stop skips it: Ctrl-C must not wait a pass
        self._save_resume()
        result = {"best_val": self.best_val, "path": str(self.out_path), "steps": self.step,
                  "resume_path": str(self.resume_path), "seconds": round(self.seconds, 1)}
        if self.step < self.total_steps:
            self.emit("stopped", step=self.step, resume_path=str(self.resume_path))
        self.emit("done", **result)
        return result

    def _train_step(self, batch) -> tuple[float, float]:
        cfg = self.config
        self.model.train()
        x, y = batch.x.to(self.device), batch.y.to(self.device)
        state = detach_state(self.carry_state) if batch.carry else None
        lr = self._lr()
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        logits, state = self.model(x, state)
        loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1),
                               ignore_index=B.IGNORE)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.clip > 0:
            norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), cfg.clip)
        else:  # still measured: the grad-norm curve shows explosions when clipping is off
            norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), float("inf"))
        self.optimizer.step()
        self.carry_state = detach_state(state) if self.corpus.mode == "stream" else None
        return loss.item(), norm.item()

    def _lr(self) -> float:
        cfg = self.config
        if self.step < cfg.warmup:
            return cfg.lr * (self.step + 1) / cfg.warmup
        if cfg.schedule == "constant":
            return cfg.lr
        span = max(1, self.total_steps - cfg.warmup)
        progress = min(1.0, (self.step - cfg.warmup) / span)
        return cfg.lr * (cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))

    # -- data -----------------------------------------------------------------------------
    def _epoch_batches(self, epoch: int, skip: int = 0):
        cfg = self.config
        if self.corpus.mode == "items":
            it = B.names_batches(self.corpus.train_sequences(epoch), cfg.batch_size,
                                 seed=cfg.seed + epoch, pad_id=self.corpus.vocab.end_id)
        else:
            it = B.stream_batches(self.corpus.train_stream(epoch), cfg.batch_size, cfg.window,
                                  offset=(epoch * 37) % cfg.window)
        for i, batch in enumerate(it):
            if i >= skip:
                yield batch

    def _count_steps_per_epoch(self) -> int:
        cfg = self.config
        if self.corpus.mode == "items":
            return max(1, -(-len(self.corpus.train_items) // cfg.batch_size))
        return B.count_stream_batches(int(self.corpus.train_stream(0).numel()), cfg.batch_size, cfg.window)

    def validation_loss(self) -> float:
        # one definition for the trainer and `sequence-studio eval`, so numbers match
        from studio.core.evaluate import nll_of_sequences, nll_of_stream

        stop = lambda: self._stop_requested  # noqa: E731
        if self.corpus.mode == "items":
            return nll_of_sequences(self.model, self.corpus.val_sequences(), self.corpus.vocab.end_id,
                                    should_stop=stop)[0]
        return nll_of_stream(self.model, self.corpus.val_stream(), should_stop=stop)[0]

    # -- evaluation and checkpoints -------------------------------------------------------
    def _evaluate(self, train_loss: float) -> bool:
        cfg = self.config
        try:
            val = self.validation_loss()
        except EvaluationStopped:
            return False  # stopped: nothing recorded; the resume file is written on the way out
        self.history.append({"step": self.step, "train_loss": round(train_loss, 4),
                             "val_loss": round(val, 4), "tokens": self.tokens_seen})
        improved = val < self.best_val
        if improved:
            self.best_val = val
            self.bad_evals = 0
        else:
            self.bad_evals += 1
        self.emit("eval", step=self.step, val_loss=val, train_loss=train_loss, best_val=self.best_val)
        if improved:
            save_checkpoint(self.out_path, self.model, self.corpus.vocab, self._meta(),
                            half=cfg.half_weights)
            self.emit("checkpoint", step=self.step, path=str(self.out_path), val_loss=val, best=True)
        if cfg.sample_every and len(self.history) % cfg.sample_every == 0:
            self.emit("sample", step=self.step, text=self.sample_text())
        self._save_resume()
        return bool(cfg.patience) and self.bad_evals >= cfg.patience

    def sample_text(self) -> str:
        return get_domain(self.corpus.kind).preview(self.model, self.corpus.vocab, self.step)

    def _meta(self) -> dict:
        cfg = self.config
        return {
            "domain": cfg.kind, "name": cfg.name or self.out_path.stem,
            "encoding": self.corpus.encoding or self.corpus.report.get("encoding"), "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "train_config": asdict(cfg), "history": self.history, "corpus": self.corpus.meta(),
            "metrics": {"val_nll": round(self.best_val, 4), "steps": self.step,
                        "tokens_seen": self.tokens_seen, "train_seconds": round(self.seconds, 1),
                        "parameters": self.model.num_parameters(), "device": str(self.device)},
            "init_from": getattr(self, "init_from", None),
        }

    def _save_resume(self) -> None:
        meta = self._meta()
        meta["resume"] = {"step": self.step, "epoch": self.epoch, "batch_in_epoch": self.batch_in_epoch,
                          "best_val": self.best_val if math.isfinite(self.best_val) else None,
                          "bad_evals": self.bad_evals, "tokens_seen": self.tokens_seen,
                          "seconds": self.seconds}
        extras = {"torch_rng": torch.get_rng_state()}
        if self.device.type == "cuda":
            # dropout on a GPU draws from the device's generator: without its state a resumed
            # run masks differently from the uninterrupted one (tests/core/test_trainer.py)
            extras["cuda_rng"] = torch.cuda.get_rng_state(self.device)
        if self.carry_state is not None:
            parts = self.carry_state if isinstance(self.carry_state, tuple) else (self.carry_state,)
            extras.update({f"carry_{i}": p for i, p in enumerate(parts)})
        save_checkpoint(self.resume_path, self.model, self.corpus.vocab, meta,
                        optimizer_state=self.optimizer.state_dict(), extras=extras)

    def _restore(self, ck) -> dict:
        r = ck.meta.get("resume")
        if not isinstance(r, dict) or not r:
            raise ValueError(f"{ck.path.name} is not a resume checkpoint (no training state)")
        was = ck.meta.get("corpus") if isinstance(ck.meta.get("corpus"), dict) else {}
        if was.get("sha256") != self.corpus.sha256:
            if not self.allow_corpus_change:
                what = (f"{self.corpus.name} has changed since" if was.get("name") == self.corpus.name
                        else f"{was.get('name', '?')}, not {self.corpus.name} as given now")
                raise ValueError(f"{ck.path.name} was trained on a different corpus ({what}): "
                                 "resuming on it would score the run's best model on other data; "
                                 "add --allow-corpus-change to resume anyway")
            self.notes.append("the corpus changed since this run started; resuming on the new one")
        try:
            self.step, self.epoch, self.batch_in_epoch = (int(r[k]) for k in ("step", "epoch", "batch_in_epoch"))
            self.best_val = float(r["best_val"]) if r["best_val"] is not None else math.inf
            self.bad_evals, self.tokens_seen = int(r["bad_evals"]), int(r["tokens_seen"])
            self.seconds = float(r["seconds"])
            self.history = list(ck.meta.get("history", []))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{ck.path.name}: its training state is malformed ({exc!r})") from exc
        extras = ck.extras or {}
        if "torch_rng" in extras:
            torch.set_rng_state(extras["torch_rng"])
        if "cuda_rng" in extras and self.device.type == "cuda":
            torch.cuda.set_rng_state(extras["cuda_rng"].cpu(), self.device)
        parts = tuple(extras[k].to(self.device) for k in ("carry_0", "carry_1") if k in extras)
        if parts:
            self.carry_state = parts if len(parts) == 2 else parts[0]
        return ck.optimizer_state


def _remove_stale_temps(*paths: Path) -> None:
    """Temp files a killed run left mid-write (``save_checkpoint`` writes ``.NAME.*.tmp``
    then renames it; the file it replaces is untouched, so the temp is only litter)."""
    import glob

    for path in paths:
        for tmp in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
            tmp.unlink(missing_ok=True)


def resume_path_for(out_path: Path) -> Path:
    name = out_path.name
    stem = name[: -len(".safetensors")] if name.endswith(".safetensors") else out_path.stem
    return out_path.with_name(stem + ".last.safetensors")

"""The trainer: model-agnostic loop, callbacks out, checkpoints in one file.

Truncated BPTT for streams (state carried across windows, detached between them), padded
and masked batches for names, AdamW, gradient-norm clipping every step, warmup + cosine LR,
a deterministic validation split, best-by-validation checkpointing, early stopping,
resume (weights, optimizer, position, carried state and RNG) and a clean stop on request.
It knows no GUI: it reports through ``on(event, fn)`` callbacks, which the CLI prints as
JSON lines for the GUI's QProcess, or as a terminal progress bar.

The same loop runs as one process or as N under torchrun (``ranks``, see
``studio.core.training.distributed``): every rank builds the same global batch and trains on its
share of the rows through DistributedDataParallel, so the batch, the learning rate and the
step count are the recipe's whatever N is; validation is sharded and summed; only rank 0
reports and writes files. Every decision that steers the loop (stop, early stop, abandon
an evaluation) is taken on values all ranks share, so no rank waits in a collective the
others never reach. Mixed precision: ``studio.core.training.precision``.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

import torch
import torch.nn.functional as F

from studio.core.training import batches as B
from studio.core.checkpoint import load_checkpoint, save_checkpoint
from studio.core.devices import resolve_device
from studio.core.training.distributed import SINGLE
from studio.core.domain import get_domain
from studio.core.evaluate import EvaluationStopped
from studio.core.net import NetConfig, SequenceNet, detach_state
from studio.core.training.precision import choose as choose_precision
from studio.core.training.config import TrainConfig, kind_defaults  # noqa: F401  (re-exported)
from studio.core.training.resume import ResumeFile, _as_float, _remove_stale_temps
from studio.core.training.resume import resume_path_for  # noqa: F401  (re-exported)


class OutOfMemory(RuntimeError):
    """The GPU ran out of memory in a training step; the message says at which batch size
    and what to try (the resume file from the last evaluation is untouched)."""


class Trainer(ResumeFile):
    EVENTS = ("report", "info", "step", "eval", "sample", "checkpoint", "stopped", "done")

    def __init__(self, config: TrainConfig, corpus, out_path, resume=None, init_from=None,
                 allow_corpus_change: bool = False, ranks=None, device=None):
        """``ranks``/``device``: from ``distributed.start`` under torchrun (this rank's place
        and device); by default one process on ``config.device``."""
        self.config = config
        self.corpus = corpus
        config.kind = config.kind or corpus.kind
        self.out_path = Path(out_path)
        self.resume_path = resume_path_for(self.out_path)
        if not ranks or ranks.main:
            _remove_stale_temps(self.out_path, self.resume_path)
        self.callbacks: dict[str, list] = {e: [] for e in self.EVENTS}
        self.notes: list[str] = []
        self._stop = False
        self._stop_requested = False   # by request_stop (not early stopping)
        self._wants = [0]              # this rank's stop request, shared at each step (torchrun)
        self.allow_corpus_change = allow_corpus_change
        self.ranks = ranks or SINGLE
        if self.ranks.active and config.batch_size < self.ranks.world:
            raise ValueError(f"--batch {config.batch_size} cannot be shared by {self.ranks.world} "
                             "processes: the global batch needs at least one row per process")
        self.device, self.device_note = (device, None) if device is not None else resolve_device(config.device)
        self.precision = choose_precision(config.precision, self.device)
        torch.manual_seed(config.seed)
        self.step = 0
        self.epoch = 0
        self.batch_in_epoch = 0
        self.best_val = math.inf
        self.bad_evals = 0
        self.history: list[dict] = []
        self.carry_state = None
        self._saved_carry = None       # a resume file's carried state, all lanes
        self._grad_scale = None        # a resume file's fp16 loss scale
        self._resume_step = None       # the step the resume file on disk holds (this run's)
        self._lanes = 0                # lanes of this epoch's stream batches (all ranks)
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
        if self.ranks.rank:  # dropout masks differ between ranks (weights come from rank 0)
            torch.manual_seed(config.seed + 7919 * self.ranks.rank + self.step)
        self.net = self.ranks.wrap(self.model)  # DDP under torchrun: it averages gradients
        self.scaler = self.precision.scaler(self._grad_scale)
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
        if not self.ranks.main:  # one voice: rank 0 reports for the run
            return
        for fn in self.callbacks[event]:
            fn(dict(event=event, **data))

    def request_stop(self) -> None:
        """Checked each step and inside validation: the loop writes a resume checkpoint and
        returns (a validation pass in flight is abandoned, not recorded). Under torchrun a
        request on any rank reaches all of them at the next step (an all-reduce)."""
        self._wants[0] = 1
        if not self.ranks.active:  # one process: at once; several: at the next shared step
            self._share_wants(self._wants)

    def _share_wants(self, wants) -> None:
        """Adopt the stop requests of every rank (summed by an all-reduce), so every rank
        leaves the loop, and skips the last validation, at the same step."""
        if wants[0]:
            self._stop = True
            self._stop_requested = True

    # -- the loop -------------------------------------------------------------------------
    def run(self) -> dict:
        cfg = self.config
        self.emit("report", **self.corpus.report)
        for note in ([self.device_note] if self.device_note else []) + self.notes:
            self.emit("info", message=note)
        where = f"{self.ranks.world} processes ({self.ranks.backend}), rank 0 on {self.device}" \
            if self.ranks.active else str(self.device)
        self.emit("info", message=f"{cfg.cell.upper()} {cfg.layers}x{cfg.hidden}, "
                  f"{self.model.num_parameters():,} parameters, on {where}, "
                  f"{'' if self.precision.name == 'fp32' else self.precision.name + ' autocast, '}"
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
                try:
                    loss, grad_norm = self._train_step(batch)
                except torch.cuda.OutOfMemoryError:
                    raise self._out_of_memory(batch) from None
                self.step += 1
                self.batch_in_epoch += 1
                tokens = batch.total or batch.tokens  # the global batch's
                self.tokens_seen += tokens
                dt = time.perf_counter() - t0
                rate = tokens / dt if rate is None else 0.9 * rate + 0.1 * tokens / dt
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
        self.ranks.barrier()  # no rank leaves (and no launcher kills one) while rank 0 writes
        result = {"best_val": self.best_val, "path": str(self.out_path), "steps": self.step,
                  "resume_path": str(self.resume_path), "seconds": round(self.seconds, 1)}
        if self.step < self.total_steps:
            self.emit("stopped", step=self.step, resume_path=str(self.resume_path))
        self.emit("done", **result)
        return result

    def _train_step(self, batch) -> tuple[float, float]:
        cfg = self.config
        self.model.train()
        lr = self._lr()
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        with self.precision.autocast():
            if batch.x.size(0):
                x, y = batch.x.to(self.device), batch.y.to(self.device)
                state = detach_state(self.carry_state) if batch.carry else None
                logits, state = self.net(x, state)
                loss_sum = F.cross_entropy(logits.reshape(-1, logits.size(-1)).float(), y.reshape(-1),
                                           ignore_index=B.IGNORE, reduction="sum")
            else:  # a small last batch left this rank no rows: a zero-weight pass keeps DDP's
                # gradient all-reduce in step with the other ranks
                logits, state = self.net(torch.zeros(1, 1, dtype=torch.long, device=self.device))
                loss_sum, state = logits.float().sum() * 0.0, self.carry_state
        # The global batch's mean loss. DDP averages gradients over the N ranks, so each
        # rank's sum is divided by the global token count and multiplied by N: the average
        # is then the gradient one process computes on the whole batch, whatever the shares.
        total = max(1, batch.total or batch.tokens)
        loss = loss_sum / total * self.ranks.world if self.ranks.active else loss_sum / total
        self.optimizer.zero_grad(set_to_none=True)
        (self.scaler.scale(loss) if self.scaler else loss).backward()
        if self.scaler:
            self.scaler.unscale_(self.optimizer)  # clip (and report) the true gradient norm
        # clip 0: still measured (the grad-norm curve shows explosions when clipping is off)
        norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), cfg.clip if cfg.clip > 0 else float("inf"))
        if self.scaler:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        if self.corpus.mode == "stream" and state is not None:  # fp32 whatever autocast used
            self.carry_state = _as_float(detach_state(state))
        else:
            self.carry_state = None
        summed, *wants = self.ranks.sum([loss_sum.item(), *self._wants])
        self._share_wants(wants)
        return summed / total, norm.item()

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
        """The epoch's global batches from ``skip`` on, each cut to this rank's share."""
        cfg = self.config
        if self.corpus.mode == "items":
            it = B.names_batches(self.corpus.train_sequences(epoch), cfg.batch_size,
                                 seed=cfg.seed + epoch, pad_id=self.corpus.vocab.end_id)
        else:
            stream = self.corpus.train_stream(epoch)
            self._lanes = B.stream_lanes(stream, cfg.batch_size)[1]
            self._adopt_saved_carry()
            it = B.stream_batches(stream, cfg.batch_size, cfg.window,
                                  offset=(epoch * 37) % cfg.window)
        for i, batch in enumerate(it):
            if i >= skip:
                yield B.shard(batch, self.ranks.rows(batch.x.size(0))) if self.ranks.active else batch

    def _count_steps_per_epoch(self) -> int:
        cfg = self.config
        if self.corpus.mode == "items":
            return max(1, -(-len(self.corpus.train_items) // cfg.batch_size))
        return B.count_stream_batches(int(self.corpus.train_stream(0).numel()), cfg.batch_size, cfg.window)

    def validation_loss(self) -> float:
        # one definition for the trainer and `sequence-studio eval`, so numbers match
        from studio.core.evaluate import nll_of_sequences, nll_of_stream

        stop = lambda: self._stop_requested or bool(self._wants[0])  # noqa: E731
        if not self.ranks.active:
            if self.corpus.mode == "items":
                return nll_of_sequences(self.model, self.corpus.val_sequences(), self.corpus.vocab.end_id,
                                        should_stop=stop)[0]
            return nll_of_stream(self.model, self.corpus.val_stream(), should_stop=stop)[0]
        return self._shared_validation_loss(stop)

    def _shared_validation_loss(self, stop) -> float:
        """Each rank scores its share (names: a slice of the held-out items; streams: a slice
        of the validation lanes) and the NLL sums and token counts are added up: the mean is
        the one-process figure. A share abandoned by a stop request is shared too, so every rank agrees."""
        from studio.core.evaluate import nll_of_sequences, nll_of_stream_rows

        try:
            if self.corpus.mode == "items":
                seqs = self.corpus.val_sequences()
                mean, count = nll_of_sequences(self.model, seqs[self.ranks.rows(len(seqs))],
                                               self.corpus.vocab.end_id, should_stop=stop)
                total = mean * count
            else:
                total, count = nll_of_stream_rows(self.model, self.corpus.val_stream(),
                                                  self.ranks.rows, should_stop=stop)
            abandoned = 0
        except EvaluationStopped:
            total, count, abandoned = 0.0, 0, 1
        total, count, abandoned, *wants = self.ranks.sum([total, count, abandoned, *self._wants])
        self._share_wants(wants)
        if abandoned:
            raise EvaluationStopped
        return total / max(1.0, count)

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
        if improved and self.ranks.main:
            save_checkpoint(self.out_path, self.model, self.corpus.vocab, self._meta(),
                            half=cfg.half_weights, extras=self.corpus.extras or None)
            self.emit("checkpoint", step=self.step, path=str(self.out_path), val_loss=val, best=True)
        if cfg.sample_every and len(self.history) % cfg.sample_every == 0 and self.ranks.main:
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
                        "parameters": self.model.num_parameters(), "device": str(self.device),
                        "processes": self.ranks.world, "precision": self.precision.name},
            "init_from": getattr(self, "init_from", None),
        }

    def _out_of_memory(self, batch) -> OutOfMemory:
        """The message for a CUDA out-of-memory error in a step: the batch that failed,
        what to try, and the resume file (written before this step, untouched)."""
        cfg = self.config
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
        stream = self.corpus.mode == "stream"
        shape = f"--batch {cfg.batch_size}" + (f" x --window {cfg.window}" if stream else "")
        if self.ranks.active:
            shape += f" ({batch.x.size(0)} rows of it on each of {self.ranks.world} processes)"
        smaller = max(1, cfg.batch_size // 2)
        tips = [f"--batch {smaller}"] + (["a shorter --window"] if stream else [])
        if self.precision.name == "fp32" and self.device.type == "cuda":
            tips.append("--precision auto (bf16/fp16 halves activations)")
        kept = (f"the resume file {self.resume_path} (step {self._resume_step}) is intact: "
                f"continue with --resume {self.resume_path} --batch {smaller}"
                if self._resume_step is not None else "nothing was saved yet (no evaluation had run)")
        return OutOfMemory(f"out of GPU memory on {self.device} at step {self.step + 1} with {shape}, "
                           f"{self.precision.name}; try {', '.join(tips)} or a smaller model; {kept}")

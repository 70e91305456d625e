"""The trainer's resume file: what it holds, how a run writes it and takes it back.

``X.last.safetensors`` beside the best model: weights, AdamW state, the position (epoch,
batch, step), the best validation so far, the torch RNG, the fp16 loss scale and the
recurrent state carried across windows (``extra.carry_*``). The carried state is stored for
every lane of the global batch, whatever the number of processes: under torchrun each rank
holds only its lanes, so they are gathered (each rank fills its rows of a zero tensor, an
all-reduce adds them) and rank 0 writes; a resumed run with any number of processes takes
its own lanes back. ``Trainer`` mixes this in; it knows the trainer's fields by name.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch

from studio.core.checkpoint import save_checkpoint


class ResumeFile:
    def _save_resume(self) -> None:
        carry = self._global_carry()  # a collective under torchrun: every rank comes here
        if not self.ranks.main:
            return
        meta = self._meta()
        meta["resume"] = {"step": self.step, "epoch": self.epoch, "batch_in_epoch": self.batch_in_epoch,
                          "best_val": self.best_val if math.isfinite(self.best_val) else None,
                          "bad_evals": self.bad_evals, "tokens_seen": self.tokens_seen,
                          "seconds": self.seconds,
                          "grad_scale": self.scaler.get_scale() if self.scaler else None}
        extras = {"torch_rng": torch.get_rng_state()}
        if self.device.type == "cuda":
            # dropout on a GPU draws from the device's generator: without its state a resumed
            # run masks differently from the uninterrupted one (tests/core/test_trainer.py)
            extras["cuda_rng"] = torch.cuda.get_rng_state(self.device)
        if carry is not None:
            parts = carry if isinstance(carry, tuple) else (carry,)
            extras.update({f"carry_{i}": p for i, p in enumerate(parts)})
        save_checkpoint(self.resume_path, self.model, self.corpus.vocab, meta,
                        optimizer_state=self.optimizer.state_dict(), extras=extras)
        self._resume_step = self.step

    def _global_carry(self):
        """The carried state of every lane (one process: its own). Under torchrun each rank
        fills its lanes' rows of a zero tensor and an all-reduce sums them, so the resume
        file holds all lanes and a run with any number of processes takes its share."""
        if self._saved_carry is not None:  # resumed and stopped before a step: pass it on
            parts = self._saved_carry
            return parts if len(parts) == 2 else parts[0]
        if not self.ranks.active:
            return self.carry_state
        if self.corpus.mode != "stream" or self.batch_in_epoch == 0:  # the same on every rank
            return None
        net = self.model.config
        local = self.carry_state
        count = 2 if net.cell == "lstm" else 1
        parts = (local if isinstance(local, tuple) else (local,)) if local is not None else (None,) * count
        rows = self.ranks.rows(self._lanes)
        out = []
        for part in parts:
            full = torch.zeros(net.layers, self._lanes, net.hidden, device=self.device)
            if part is not None and part.size(1):
                full[:, rows] = part
            out.append(self.ranks.sum_tensor(full))
        return tuple(out) if count == 2 else out[0]

    def _adopt_saved_carry(self) -> None:
        """A resume file's carried state (all lanes) -> this rank's lanes, once the epoch's
        lane count is known; another --batch has other lanes: they start from zeros."""
        saved, self._saved_carry = self._saved_carry, None
        if saved is None:
            return
        if saved[0].dim() != 3 or saved[0].size(1) != self._lanes:
            self.emit("info", message=f"the resume file carries state for {saved[0].size(1)} lanes "
                      f"and this run has {self._lanes} (another --batch): they start from zeros")
            return
        rows = self.ranks.rows(self._lanes) if self.ranks.active else slice(None)
        parts = tuple(p[:, rows].to(self.device) for p in saved)
        self.carry_state = parts if len(parts) == 2 else parts[0]

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
        parts = tuple(extras[k] for k in ("carry_0", "carry_1") if k in extras)
        self._saved_carry = parts or None  # all lanes; each rank takes its own (_adopt_saved_carry)
        self._grad_scale = r.get("grad_scale")
        self._resume_step = self.step
        return ck.optimizer_state


def _as_float(state):
    """Carried state in float32 (autocast may hand it back in bf16/fp16): resume files and
    a change of --precision then see one dtype."""
    return tuple(s.float() for s in state) if isinstance(state, tuple) else state.float()


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

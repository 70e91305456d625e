"""Training settings: ``TrainConfig`` and the checks every source of settings goes through
(flags, a recipe, a resume file's stored config, the window's form via the CLI)."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from studio.core.domain import get_domain


@dataclass
class TrainConfig:
    kind: str = ""              # the corpus's domain (empty: taken from the corpus)
    cell: str = "lstm"
    layers: int = 2
    hidden: int = 256
    embedding: int = 64
    dropout: float = 0.0
    lr: float = 2e-3
    weight_decay: float = 0.01
    batch_size: int = 64
    window: int = 128
    epochs: int = 10
    max_steps: int = 0          # 0 = no cap beyond epochs
    clip: float = 1.0           # 0 = off
    schedule: str = "cosine"    # cosine | constant
    warmup: int = 50
    min_lr_ratio: float = 0.1
    eval_every: int = 200
    patience: int = 0           # evaluations without improvement before stopping; 0 = off
    val_fraction: float = 0.1
    split: str = "solos"        # jazz: hold out by "solos" or by "tunes" (train / validation /
                                #   test, no tune in two parts); recorded in the checkpoint
    seed: int = 1337
    device: str = "auto"
    precision: str = "auto"     # auto | fp32 | bf16 | fp16 (studio.core.training.precision)
    sample_every: int = 1       # a sample at every Nth evaluation
    half_weights: bool = False  # store the best model in float16
    chords: bool = True         # jazz: False trains the chord-blind twin
    lead: str = ""              # jazz, MIDI files: the lead part (a name or 1-based number as
                                #   the report lists parts); "" = picked by name, program, range
    name: str = ""

    def __post_init__(self):
        check_train_config(self)

    @classmethod
    def from_dict(cls, data: dict) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown training settings: {', '.join(sorted(unknown))}")
        return cls(**data)


# What each setting may be; checked wherever a TrainConfig is made (flags, recipe, resume
# file, the window's form through the CLI), so a bad number gets one message up front
# instead of a traceback or a run that never ends.
_INT_RANGES = {"layers": (1, 32), "hidden": (1, 16384), "embedding": (1, 16384),
               "batch_size": (1, 65536), "window": (1, 1 << 20), "epochs": (1, 1 << 20),
               "max_steps": (0, 1 << 40), "warmup": (0, 1 << 40), "eval_every": (1, 1 << 40),
               "patience": (0, 1 << 20), "seed": (0, (1 << 63) - 1), "sample_every": (0, 1 << 20)}
_FLOAT_RANGES = {  # (low, high, low inclusive, high inclusive)
    "dropout": (0.0, 1.0, True, False), "lr": (0.0, 10.0, True, True),
    "weight_decay": (0.0, 100.0, True, True), "clip": (0.0, 1e6, True, True),
    "min_lr_ratio": (0.0, 1.0, True, True), "val_fraction": (0.0, 1.0, False, False)}
_CHOICES = {"cell": ("lstm", "gru", "rnn"), "schedule": ("cosine", "constant"),
            "precision": ("auto", "fp32", "bf16", "fp16"), "split": ("solos", "tunes")}


def _flag(name: str) -> str:
    return "--batch" if name == "batch_size" else "--" + name.replace("_", "-")


def check_train_config(cfg) -> None:
    """ValueError naming the setting (as its train flag) for the first bad value."""
    for name, (low, high) in _INT_RANGES.items():
        value = getattr(cfg, name)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"{_flag(name)} must be a whole number, at least {low} and at most "
                             f"{high}, not {value!r}")
    for name, (low, high, low_in, high_in) in _FLOAT_RANGES.items():
        value = getattr(cfg, name)
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        ok = ok and (low <= value if low_in else low < value) and (value <= high if high_in else value < high)
        if not ok:
            span = f"{'[' if low_in else '('}{low:g}, {high:g}{']' if high_in else ')'}"
            raise ValueError(f"{_flag(name)} must be a number in {span}, not {value!r}")
    if not isinstance(cfg.lead, str):
        raise ValueError(f"--lead must be a part's name or number, or auto, not {cfg.lead!r}")
    for name, choices in _CHOICES.items():
        if getattr(cfg, name) not in choices:
            raise ValueError(f"{_flag(name)} must be one of {', '.join(choices)}, "
                             f"not {getattr(cfg, name)!r}")


def kind_defaults(kind: str) -> dict:
    """Sensible starting points for a domain (its ``train_defaults``); a recipe or a flag
    overrides each value."""
    return dict(get_domain(kind).train_defaults)

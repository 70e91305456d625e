"""Domains plug into the engine here: one small interface and a registry by name.

A domain (names, text, jazz, ...) says how its corpora are read and reported, how its
items are framed with the end token, which tokens sampling must never emit, how a model
is evaluated and how a sample is described. The engine (trainer, sampler helpers,
scoring, evaluation, corpus loading) asks the registry for the domain by the name stored
in a corpus or a checkpoint and never imports a domain itself.

Built-in domains live in ``studio.domains`` (one module each); importing that package
registers them. The CLI and the window import it at start-up (``tests/conftest.py`` too).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only for annotations: importing data here would import torch early
    from studio.core.corpus import Corpus
    from studio.core.vocab import Vocab


class DomainError(ValueError):
    """No domain of that name is registered (a foreign checkpoint, a typo in --kind)."""


class Domain:
    """What the engine needs to know about one kind of sequence.

    Subclasses set the class attributes and implement ``load_corpus`` and ``evaluate``;
    the rest has defaults that fit most domains.
    """

    name: str = ""               # the key stored in checkpoints ("domain") and --kind
    label: str = ""              # what the window shows, e.g. "Names (one per line)"
    encoding: str = ""           # tokenizer/encoding id stored in checkpoints, e.g. "char-v1"
    framed: bool = True          # items are "<end> item <end>": sampling stops at <end> and
                                 # scoring counts the closing one. False: one endless stream
                                 # that never holds <end>, so sampling bans it.
    corpus_is_folder: bool = False   # the corpus is a folder (jazz) rather than one file
    train_defaults: dict = {}    # TrainConfig values that suit this domain (flags override)

    # -- corpora ----------------------------------------------------------------------
    def load_corpus(self, path, val_fraction: float = 0.1, vocab: "Vocab | None" = None,
                    **options: Any) -> "Corpus":
        """Read, validate and split a corpus; CorpusError with a reason for bad input.
        ``vocab`` is a fine-tuned model's vocabulary to encode with (None: build one)."""
        raise NotImplementedError

    def dataset_report(self, path, **options: Any) -> dict:
        """The report shown before training (a dict of JSON values)."""
        return self.load_corpus(path, **options).report

    # -- user input -------------------------------------------------------------------
    def read_input(self, text: str) -> str:
        """What a model of this domain reads of text a person typed (a start, a line to
        score): by default the text itself. The CLI and the window both go through this,
        so they accept and refuse the same input."""
        return text

    def input_note(self, text: str) -> str | None:
        """One line for the person when ``read_input`` changed their text, else None."""
        read = self.read_input(text)
        return None if read == text else f"{text!r} is read as {read!r}"

    # -- sampling ---------------------------------------------------------------------
    def prime_ids(self, vocab: "Vocab", prime: str) -> list[int]:
        """Token ids a take starts from: framed items start after <end>."""
        ids = vocab.encode(prime) if prime else []
        if self.framed:
            return [vocab.end_id] + ids
        return ids or [vocab.end_id]

    def banned_ids(self, vocab: "Vocab") -> tuple[int, ...]:
        """Ids sampling must never emit (<unk> is always banned by the sampler)."""
        return () if self.framed else (vocab.end_id,)

    def preview(self, model, vocab: "Vocab", seed: int) -> str:
        """The short sample the trainer shows at an evaluation."""
        from studio.core.sampling.sampler import SampleSettings, sample

        settings = SampleSettings(temperature=0.8, max_length=240, seed=seed, stop_at_end=False)
        (row,) = sample(model, [vocab.end_id], settings, ban=self.banned_ids(vocab))
        out = vocab.decode(row)
        return " ".join(out[:40]) if isinstance(out, list) else out

    # -- evaluation and description ---------------------------------------------------
    def evaluate(self, ckpt, corpus_path, **options: Any) -> dict:
        """Held-out figures of ``ckpt`` on the corpus at ``corpus_path`` (JSON values).
        Options a domain does not use are ignored."""
        raise NotImplementedError

    def describe(self, ckpt, sample: Any) -> dict:
        """One generated sample (a string, or the domain's take object) as JSON values."""
        return {"text": sample}


_REGISTRY: dict[str, Domain] = {}


def register(domain: Domain) -> Domain:
    """Add (or replace) a domain under ``domain.name``; returns it (usable as a decorator
    on an instance-producing expression)."""
    if not domain.name:
        raise DomainError("a domain needs a name")
    _REGISTRY[domain.name] = domain
    return domain


def get_domain(name: str) -> Domain:
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        known = ", ".join(_REGISTRY) or "none registered (import studio.domains)"
        raise DomainError(f"unknown domain {name!r} (known: {known})") from None


def domain_names() -> tuple[str, ...]:
    return tuple(_REGISTRY)


def domains() -> list[Domain]:
    return list(_REGISTRY.values())

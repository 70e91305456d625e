"""Domains plug into the engine: core imports none of them, and a domain defined outside
core (here, in the test) is trained, sampled, scored and evaluated by the engine as is."""

import hashlib
import subprocess
import sys

import pytest

from studio.core.corpus import Corpus, CorpusError
from studio.core.data import dataset_report, load_corpus, read_text_file
from studio.core.domain import Domain, DomainError, domain_names, get_domain, register
from studio.core.vocab import Vocab


def test_core_imports_no_domain_music_or_gui():
    code = ("import importlib, pkgutil, sys, studio.core as c\n"
            "for m in pkgutil.iter_modules(c.__path__): importlib.import_module('studio.core.' + m.name)\n"
            "print(sorted(n for n in sys.modules if n.startswith(('studio.domains', 'studio.music', "
            "'studio.gui', 'PySide6'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_builtin_domains_are_registered():
    assert {"names", "text", "jazz"} <= set(domain_names())
    assert get_domain("names").framed and not get_domain("text").framed
    with pytest.raises(CorpusError, match="unknown corpus kind 'poems'.*names"):
        load_corpus("x.txt", "poems")
    with pytest.raises(DomainError, match="unknown domain"):
        get_domain("poems")


class WordsDomain(Domain):
    """Space-separated words, each one item framed by <end>: names' framing, another reader."""

    name = "test-words"
    label = "Words"
    encoding = "char-v1"
    framed = True

    def load_corpus(self, path, val_fraction=0.1, vocab=None, **options):
        text, raw = read_text_file(path)
        words = sorted(set(text.split()))
        n_val = max(1, round(len(words) * val_fraction))
        vocab = vocab or Vocab.from_text(words)
        return Corpus(kind=self.name, vocab=vocab, report={"items": len(words), "encoding": self.encoding},
                      sha256=hashlib.sha256(raw).hexdigest(), name="words", mode="items",
                      encoding=self.encoding, train_items=words[n_val:], val_items=words[:n_val])

    def evaluate(self, ckpt, corpus_path, **options):
        from studio.core.evaluate import likelihood_figures

        return likelihood_figures(self, ckpt, corpus_path)[1]


@pytest.fixture
def words_domain():
    from studio.core import domain as registry

    register(WordsDomain())
    yield
    registry._REGISTRY.pop("test-words", None)


def test_a_domain_from_outside_core_trains_samples_scores_and_evaluates(tmp_path, names_file, words_domain):
    from studio.core.checkpoint import load_checkpoint
    from studio.core.evaluate import evaluate
    from studio.core.sampling.generate import generate_texts
    from studio.core.sampling.sampler import SampleSettings
    from studio.core.sampling.scoring import score_sequence
    from studio.core.training.trainer import TrainConfig, Trainer

    corpus_file = tmp_path / "words.txt"
    corpus_file.write_text(" ".join(names_file.read_text().split()), encoding="utf-8")
    assert dataset_report(corpus_file, "test-words")["items"] == 300
    corpus = load_corpus(corpus_file, "test-words")
    samples = []
    trainer = Trainer(TrainConfig(cell="gru", layers=1, hidden=32, embedding=8, batch_size=32,
                                  epochs=3, eval_every=20, seed=0, device="cpu"),
                      corpus, tmp_path / "w.safetensors")
    trainer.on("sample", samples.append)
    trainer.run()
    ck = load_checkpoint(tmp_path / "w.safetensors")
    assert ck.domain == "test-words" and ck.meta["encoding"] == "char-v1"
    assert samples and samples[0]["text"]  # the base class's preview
    rows = generate_texts(ck, "", SampleSettings(count=5, seed=1, max_length=30))
    assert len(rows) == 5 and all("\n" not in r for r in rows)
    # framed: the score counts the closing <end>, one more step than letters
    assert len(score_sequence(ck, "stegosaurus").steps) == len("stegosaurus") + 1
    figures = evaluate(ck, corpus_file)
    assert figures["domain"] == "test-words" and figures["same_corpus_as_training"]
    assert figures["val_nll"] > 0 and figures["val_tokens"] > 0

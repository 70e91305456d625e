"""Jazz: solos as event tokens (``studio.music``), a thin adapter to the engine's interface.

A corpus is the WJazzD folder (per-beat chords) or a folder of the user's MIDI files.
Each epoch the training solos are transposed into new keys (``studio.music.corpus.dataset``)
and joined into one stream with ``<end>`` between solos; validation solos stay in their
own key so validation loss compares across epochs.
"""

from __future__ import annotations

from pathlib import Path

from studio.core.corpus import Corpus, CorpusError
from studio.core.data import join_items
from studio.core.domain import Domain, register
from studio.core.vocab import Vocab


class _EpochStreams:
    """The training stream of an epoch, built once per epoch: counting steps, the report and
    epoch 0 all want it, and transposing and encoding every solo takes seconds."""

    def __init__(self, jazz, vocab: Vocab, val_fraction: float, split: str, first=None):
        self.jazz, self.vocab, self.val_fraction, self.split = jazz, vocab, val_fraction, split
        self.cache = first  # (epoch, ids)

    def __call__(self, epoch: int):
        if self.cache is None or self.cache[0] != epoch:
            from studio.music.corpus.dataset import training_streams

            train, _ = training_streams(self.jazz, epoch_seed=epoch, val_fraction=self.val_fraction,
                                        split=self.split)
            self.cache = (epoch, join_items(self.vocab, train))
        return self.cache[1]


class JazzDomain(Domain):
    name = "jazz"
    label = "Jazz (MIDI / WJazzD)"
    framed = True
    corpus_is_folder = True
    train_defaults = dict(layers=2, hidden=256, embedding=64, dropout=0.2, batch_size=32, window=256,
                          epochs=10, eval_every=200)

    @property
    def encoding(self) -> str:
        from studio.music.encoding import ENCODING

        return ENCODING

    def load_corpus(self, path, val_fraction: float = 0.1, vocab: Vocab | None = None,
                    chords: bool = True, lead=None, split: str = "solos", **options) -> Corpus:
        """``chords=False``: the chord-blind twin; ``lead``: MIDI only, the part to take as
        the melody (see ``studio.music.corpus.midi``); ``split``: hold out by solo or by
        tune (``studio.music.corpus.splits``; recorded in the checkpoint, so every later
        tool finds the same parts). ``vocab`` is ignored: the event vocabulary is fixed by
        the encoding."""
        from studio.music.encoding import jazz_vocab_tokens
        from studio.music.fingerprint import Fingerprint
        from studio.music.corpus.dataset import load_jazz_corpus, training_streams
        from studio.music.licks import LickVocabulary
        from studio.music.corpus.splits import check_scheme, training_holdout

        try:
            jazz = load_jazz_corpus(path, chords=chords, lead=lead)
        except (OSError, ValueError) as exc:
            raise CorpusError(str(exc)) from exc
        if not jazz.solos:
            raise CorpusError(f"{Path(path).name}: no usable solos (see the per-file report)")
        vocab = Vocab.from_tokens(jazz_vocab_tokens(), kind="event")
        try:  # the split can refuse too (one solo too short to split in time, ...)
            split = check_scheme(split)
            train, val = training_streams(jazz, epoch_seed=0, val_fraction=val_fraction, split=split)
        except ValueError as exc:
            raise CorpusError(str(exc)) from exc
        val_ids = join_items(vocab, val)
        report = dict(jazz.report)
        report.update(kind="jazz", vocab_size=len(vocab), chords=jazz.chords,  # all-NC: blind
                      train_tokens=sum(map(len, train)), val_tokens=int(val_ids.numel()))
        streams = _EpochStreams(jazz, vocab, val_fraction, split, first=(0, join_items(vocab, train)))
        # hashed 8-note patterns of the training solos (no notes): eval and jazz-report
        # measure idioms and copies against them on any folder
        train_solos = training_holdout(jazz.solos, val_fraction, split).train
        fingerprint = Fingerprint.from_solos(train_solos)
        # the licks several training players share (no notes, no solos): sampling leans on
        # them (studio.music.lick_bias); stored beside the fingerprint in the checkpoint
        licks = LickVocabulary.mine(train_solos, corpus_sha256=jazz.sha256, val_fraction=val_fraction)
        return Corpus(kind=self.name, vocab=vocab, report=report, name=Path(path).name,
                      sha256=jazz.sha256, mode="stream", encoding=report.get("encoding", self.encoding),
                      val_ids=val_ids, epoch_stream=streams,
                      # chords False: a twin trained without chords, or a corpus that had none
                      # (all NC): the checkpoint says the model is chord-blind, and generation,
                      # `sample`, `models` and the window say so and feed it NC
                      meta_extra={"fingerprint": fingerprint.meta(), "licks": licks.meta(),
                                  "chords": jazz.chords, "split": split},
                      extras={**fingerprint.to_tensors(), **licks.to_tensors()})

    def evaluate(self, ckpt, corpus_path, choruses: int = 20, seed: int = 0,
                 temperature: float = 1.0, held_out: bool | None = None,
                 pitch_temperature: float | None = None, rhythm_temperature: float | None = None,
                 licks: float | None = None, split: str | None = None, **_options) -> dict:
        """``held_out``: None scores the whole folder unless it is the training corpus (then
        one part of the model's split: ``split`` "test", "val", or None: test where the
        split has one), True the whole folder, False the split. The temperatures and
        ``licks`` shape the takes (None: ``JazzSettings``' defaults)."""
        from studio.music.analysis.evaluate import evaluate_jazz
        from studio.music.generate import JazzSettings

        settings = JazzSettings(temperature=temperature)
        if pitch_temperature is not None:
            settings.pitch_temperature = pitch_temperature
        if rhythm_temperature is not None:
            settings.rhythm_temperature = rhythm_temperature
        if licks is not None:
            settings.licks = licks
        return evaluate_jazz(ckpt, corpus_path, choruses=choruses, seed=seed, temperature=temperature,
                             held_out=held_out, settings=settings, split=split)

    def describe(self, ckpt, sample) -> dict:
        """``sample`` is a ``studio.music.generate.Take``."""
        return {**sample.describe(), "metrics": sample.metrics()}


DOMAIN = register(JazzDomain())

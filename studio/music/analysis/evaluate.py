"""Held-out numbers for a jazz model (``sequence-studio eval`` calls ``evaluate_jazz``).

Two kinds of figure, each beside the corpus's own yardstick:
  * likelihood: NLL per token on held-out solos, untransposed: one part of the model's
    own split when the folder is its training corpus (``split``: "test" by default,
    "val" for tuning tools; ``splits.splits_for``), otherwise (or with ``held_out=True``)
    every solo of the folder, since none of them was trained on;
  * music: takes generated over the presets (about ``choruses`` x 12 bars each) measured
    with ``metrics`` and ``phrasing``: chord-tone share and scale conformance against the
    corpus's, notes per bar, rests, repetition, idiom share, and the copy meter. Copies
    are measured against the *training* corpus: exactly (``NgramIndex`` over its training
    split) when the folder is that corpus, else with the fingerprint the checkpoint
    carries (``fingerprint.Fingerprint``, an upper bound).
"""

from __future__ import annotations

import math
from dataclasses import replace

from studio.music.chart import PRESETS, parse_chart
from studio.music.encoding import encode_solo
from studio.music.fingerprint import Fingerprint
from studio.music.generate import (JazzSettings, generate_solo, model_plays_chords,
    take_is_well_formed)
from studio.music.corpus.dataset import load_jazz_corpus
from studio.music.analysis.jazz_report import held_out_solos
from studio.music.metrics import (NgramIndex, chord_tone_share, corpus_metrics,
    longest_shared_ngram, scale_conformance)
from studio.music.analysis.phrasing import longest_repeated_figure, rests_per_8_bars
from studio.music.corpus.splits import splits_for

EVAL_PRESETS = ("Bb blues", "Rhythm changes (Bb)", "ii-V-I cycle")


def _r(x, digits=4):
    return None if x is None else round(float(x), digits)


def note_event_mask(vocab, targets):
    """The tokens a model chooses when it plays over a chart (onsets, pitches, durations);
    chord and context tokens are forced at generation time."""
    import torch

    return torch.tensor([vocab.tokens[t].startswith(("POS_", "PITCH_", "DUR_")) for t in targets.tolist()])


def held_out_likelihood(ck, corpus, split: str | None = None,
                        held_out: bool | None = None) -> dict:
    """The likelihood half of ``evaluate_jazz`` for a loaded ``JazzCorpus``: NLL per token
    and per note event on the held-out solos (``held_out`` and ``split`` as in
    ``jazz_report.held_out_solos``), on the model's own device. Cheap (no takes), so a
    sweep can rank its models by it (on the validation split: ``split="val"``)."""
    import torch

    from studio.core.evaluate import token_nlls

    meta = ck.meta or {}
    train_sha = (meta.get("corpus") or {}).get("sha256")
    scored, whole, words = held_out_solos(corpus, meta, split, held_out)
    chords = model_plays_chords(meta)
    ids: list[int] = []
    for solo in scored:
        ids.append(ck.vocab.end_id)
        ids.extend(ck.vocab.encode(encode_solo(solo, chords=chords)))
    ids.append(ck.vocab.end_id)
    stream = torch.tensor(ids, dtype=torch.long)
    per_token, targets = token_nlls(ck.model, stream)
    val_nll, val_tokens = float(per_token.mean()), int(per_token.numel())
    # The fair chord-aware vs. chord-blind comparison: only the tokens the model chooses
    # when it plays over a chart. Chord tokens differ between the twins (real chords vs. a
    # constant NC) and are forced at generation time anyway.
    chosen = note_event_mask(ck.vocab, targets)
    event_nll = float(per_token[chosen].mean()) if bool(chosen.any()) else float("nan")
    return {
        "same_corpus_as_training": corpus.sha256 == train_sha,
        "held_out": words.split(":", 1)[0].split(" (", 1)[0], "solos_scored": words,
        "chord_aware": chords, "val_solos": len(scored), "val_tokens": val_tokens,
        "val_nll": _r(val_nll), "val_perplexity": _r(math.exp(val_nll), 3),
        "val_nll_note_events": _r(event_nll), "val_note_event_tokens": int(chosen.sum()),
    }


def evaluate_jazz(ck, corpus_path, choruses: int = 20, seed: int = 0,
                  split: str | None = None, temperature: float = 1.0,
                  held_out: bool | None = None, settings: JazzSettings | None = None) -> dict:
    chords = model_plays_chords(ck.meta or {})
    corpus = load_jazz_corpus(corpus_path, chords=chords)
    likelihood = held_out_likelihood(ck, corpus, split, held_out)
    same = likelihood["same_corpus_as_training"]
    yardstick = corpus_metrics(corpus.solos)
    out = {  # the figures in their documented order (the cards print them so)
        **{k: likelihood[k] for k in ("same_corpus_as_training", "held_out", "solos_scored",
                                      "chord_aware", "val_solos", "val_tokens")},
        "temperature": temperature,
        **{k: likelihood[k] for k in ("val_nll", "val_perplexity", "val_nll_note_events",
                                      "val_note_event_tokens")},
        "corpus_chord_tone_share": _r(yardstick["chord_tone_share"]),
        "corpus_scale_conformance": _r(yardstick["scale_conformance"]),
        "corpus_notes_per_bar": _r(yardstick["notes_per_bar"], 2),
    }
    # the copy meter's reference: the training solos, never the folder being scored
    exact = NgramIndex(splits_for(ck.meta, corpus.solos).train) if same else None
    fingerprint = Fingerprint.from_checkpoint(ck)
    out["copy_reference"] = ("training split of this corpus (exact)" if exact is not None else
                             "the checkpoint's training fingerprint (upper bound)" if fingerprint
                             else "none: the checkpoint carries no training fingerprint")
    base = settings or JazzSettings(temperature=temperature)
    takes, all_notes = {}, []
    for i, name in enumerate(EVAL_PRESETS):
        bars = parse_chart(PRESETS[name]).bar_count
        run = replace(base, seed=seed + i, choruses=max(1, round(choruses * 12 / bars)), tempo=160,
                      count=1, primer=None)
        take = generate_solo(ck, PRESETS[name], run)
        row = {
            "bars": take.bars, "notes": len(take.solo.notes),
            "notes_per_bar": _r(len(take.solo.notes) / max(1, take.bars), 2),
            "chord_tone_share": _r(chord_tone_share(take.solo)),
            "scale_conformance": _r(scale_conformance(take.solo)),
            "rests_per_8_bars": _r(rests_per_8_bars(take.solo), 2),
            "longest_repeated_figure": longest_repeated_figure(take.solo),
            "idiom_share": _r(fingerprint.idiom_share(take.solo)) if fingerprint else None,
            "well_formed": not take_is_well_formed(take),
        }
        if exact is not None:
            match = longest_shared_ngram(take.solo, exact)
            row.update(longest_shared_intervals=match.length, shared_with=match.title)
        else:
            row["longest_shared_intervals"] = fingerprint.longest_copy(take.solo) if fingerprint else None
        takes[name] = row
        all_notes.append(take.solo)
    pooled = corpus_metrics(all_notes)
    copies = [t["longest_shared_intervals"] for t in takes.values() if t["longest_shared_intervals"] is not None]
    out.update(takes=takes, take_chord_tone_share=_r(pooled["chord_tone_share"]),
               take_scale_conformance=_r(pooled["scale_conformance"]),
               take_notes_per_bar=_r(pooled["notes_per_bar"], 2),
               longest_shared_intervals=max(copies) if copies else None,
               well_formed=all(t["well_formed"] for t in takes.values()))
    return out

"""Held-out numbers for a jazz model (``sequence-studio eval`` calls ``evaluate_jazz``).

Two kinds of figure, each beside the corpus's own yardstick:
  * likelihood: NLL per token on the validation solos (untransposed, the same split
    the trainer held out);
  * music: takes generated over the presets (about ``choruses`` x 12 bars each) measured
    with ``metrics``: chord-tone share and scale conformance against the corpus's, notes
    per bar, and the copy meter (longest interval run shared with any corpus solo).
"""

from __future__ import annotations

import math

from .chart import PRESETS, parse_chart
from .encoding import encode_solo, split_solos
from .generate import JazzSettings, _model_plays_chords, generate_solo, take_is_well_formed
from .jazz_data import load_jazz_corpus
from .metrics import NgramIndex, chord_tone_share, corpus_metrics, longest_shared_ngram, scale_conformance

EVAL_PRESETS = ("Bb blues", "Rhythm changes (Bb)", "ii-V-I cycle")


def _r(x, digits=4):
    return None if x is None else round(float(x), digits)


def evaluate_jazz(ck, corpus_path, choruses: int = 20, seed: int = 0,
                  val_fraction: float | None = None, temperature: float = 1.0) -> dict:
    import torch

    from studio.core.evaluate import token_nlls

    chords = _model_plays_chords(ck.meta or {})
    corpus = load_jazz_corpus(corpus_path, chords=chords)
    if val_fraction is None:
        val_fraction = (ck.meta or {}).get("train_config", {}).get("val_fraction", 0.1)
    train, val = split_solos(corpus.solos, val_fraction)
    ids: list[int] = []
    for solo in val:
        ids.append(ck.vocab.end_id)
        ids.extend(ck.vocab.encode(encode_solo(solo, chords=chords)))
    ids.append(ck.vocab.end_id)
    stream = torch.tensor(ids, dtype=torch.long)
    per_token, targets = token_nlls(ck.model, stream)
    val_nll, val_tokens = float(per_token.mean()), int(per_token.numel())
    # The fair chord-aware vs. chord-blind comparison: only the tokens the model chooses
    # when it plays over a chart (onsets, pitches, durations). Chord tokens differ between
    # the twins (real chords vs. a constant NC) and are forced at generation time anyway.
    chosen = torch.tensor([ck.vocab.tokens[t].startswith(("POS_", "PITCH_", "DUR_")) for t in targets.tolist()])
    event_nll = float(per_token[chosen].mean()) if bool(chosen.any()) else float("nan")
    yardstick = corpus_metrics(corpus.solos)
    out = {
        "same_corpus_as_training": corpus.sha256 == (ck.meta or {}).get("corpus", {}).get("sha256"),
        "chord_aware": chords, "val_solos": len(val), "val_tokens": val_tokens,
        "temperature": temperature, "val_nll": _r(val_nll), "val_perplexity": _r(math.exp(val_nll), 3),
        "val_nll_note_events": _r(event_nll), "val_note_event_tokens": int(chosen.sum()),
        "corpus_chord_tone_share": _r(yardstick["chord_tone_share"]),
        "corpus_scale_conformance": _r(yardstick["scale_conformance"]),
        "corpus_notes_per_bar": _r(yardstick["notes_per_bar"], 2),
    }
    index = NgramIndex(corpus.solos)
    takes, all_notes = {}, []
    for i, name in enumerate(EVAL_PRESETS):
        bars = parse_chart(PRESETS[name]).bar_count
        settings = JazzSettings(seed=seed + i, choruses=max(1, round(choruses * 12 / bars)),
                                tempo=160, temperature=temperature)
        take = generate_solo(ck, PRESETS[name], settings)
        match = longest_shared_ngram(take.solo, index)
        takes[name] = {
            "bars": take.bars, "notes": len(take.solo.notes),
            "notes_per_bar": _r(len(take.solo.notes) / max(1, take.bars), 2),
            "chord_tone_share": _r(chord_tone_share(take.solo)),
            "scale_conformance": _r(scale_conformance(take.solo)),
            "longest_shared_intervals": match.length, "shared_with": match.title,
            "well_formed": not take_is_well_formed(take),
        }
        all_notes.append(take.solo)
    pooled = corpus_metrics(all_notes)
    out.update(takes=takes, take_chord_tone_share=_r(pooled["chord_tone_share"]),
               take_scale_conformance=_r(pooled["scale_conformance"]),
               take_notes_per_bar=_r(pooled["notes_per_bar"], 2),
               longest_shared_intervals=max(t["longest_shared_intervals"] for t in takes.values()),
               well_formed=all(t["well_formed"] for t in takes.values()))
    return out

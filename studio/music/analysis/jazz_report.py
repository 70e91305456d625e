"""``jazz-report``: a model's (or a folder of takes') phrasing beside human solos'.

The human side is a folder of solos: the model's own training corpus gives one part of the
model's own split (``splits.splits_for``): test by default, validation for tuning tools;
any other folder is held out whole. The model side is either a folder
of takes (MIDI) or takes the model plays now over *the same changes, form, tempo and
length* as each human solo (``generate.generate_over``), so density by tempo, rests and
repetition compare like with like; how the lines are played (swing, articulation, the
eighth pairs, dynamics: ``playing``) is heard as the renderer plays a model's takes and as
the files play a folder's. Figures: ``phrasing.report_figures``; idiom share and
the longest copy are measured against the training corpus's fingerprint (carried by the
checkpoint, or built from ``train_corpus``).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from studio.music.fingerprint import Fingerprint, performer_of
from studio.music.generate import JazzSettings, for_model, generate_over, model_plays_chords
from studio.music.corpus.dataset import load_jazz_corpus
from studio.music.analysis.phrasing import TEMPO_BANDS, report_figures
from studio.music.analysis.playing import measured_playing, playing_figures, rendered_playing
from studio.music.corpus.splits import PARTS, splits_for, tune_of


def _training_identity(ck) -> tuple[str | None, float]:
    """(training corpus sha256, validation fraction) recorded in a checkpoint."""
    meta = (ck.meta or {}) if ck is not None else {}
    return (meta.get("corpus") or {}).get("sha256"), \
        (meta.get("train_config") or {}).get("val_fraction", 0.1)


def held_out_solos(corpus, meta: dict | None, split: str | None = None,
                   held_out: bool | None = None) -> tuple[list, bool, str]:
    """(solos to score, whether the whole folder was held out, what they are in words).

    ``held_out`` None: the whole folder unless it is the model's training corpus (the
    sha256 in ``meta``), in which case one part of the model's own split
    (``splits.splits_for``): ``split`` "val" (what tuning tools read), "test" (reporting
    only), or None: test, or validation where the split has no test part (a corpus of
    fewer than 50 solos split by solo), said so in the words."""
    if split not in (None, *PARTS):
        raise ValueError(f"the split is one of {', '.join(PARTS)}, not {split!r}")
    train_sha = ((meta or {}).get("corpus") or {}).get("sha256")
    whole = (corpus.sha256 != train_sha) if held_out is None else held_out
    if whole:
        return list(corpus.solos), True, f"whole folder: {_count(corpus.solos)}"
    parts = splits_for(meta, corpus.solos)
    part = split or ("test" if parts.test else "val")
    if part == "test" and not parts.test:
        raise ValueError(f"{corpus.name}: the model's split has no test part ({parts.note}); "
                         "ask for the validation split (--split val)")
    solos = parts.test if part == "test" else parts.val
    words = {"test": "test split", "val": "validation split"}[part]
    if split is None and part == "val":
        words += " (the split has no test part)"
    return solos, False, f"{words}: {_count(solos)}"


def _count(solos) -> str:
    return f"{len(solos)} solos of {len({tune_of(s.title) for s in solos})} tunes"


def training_fingerprint(ck=None, train_corpus=None) -> tuple[Fingerprint | None, str, str | None]:
    """(reference for idiom share and copying, where it came from, training corpus sha256).

    ``train_corpus`` (the folder the model was trained on) wins over the checkpoint's
    stored fingerprint; its training split is the reference (its validation and test solos
    were never trained on)."""
    sha, _ = _training_identity(ck)
    if train_corpus is not None:
        corpus = load_jazz_corpus(train_corpus)
        solos = splits_for(ck.meta if ck is not None else None, corpus.solos).train
        return (Fingerprint.from_solos(solos), f"built from {corpus.name} ({len(solos)} solos)",
                corpus.sha256)
    if ck is not None:
        fp = Fingerprint.from_checkpoint(ck)
        if fp is not None:
            return fp, "the checkpoint's training fingerprint", sha
    return None, "no training fingerprint (pass the training corpus)", sha


def rendered_offbeats(solo) -> list[float]:
    """Played positions of the offbeat eighths of a solo as the renderer plays it (the
    swing the listener hears; ``performance.perform`` with the default feel)."""
    from studio.music.perform.performance import perform
    from studio.music.corpus.swing import performance_offbeat_positions

    return performance_offbeat_positions(perform(solo, comping=False, bass=False))


def measured_offbeats(folder):
    """Title -> played positions of a folder's offbeat eighths, as they were played: WJazzD's
    annotated onsets against the band's beats, or a MIDI file's own ticks before they are
    snapped to the grid (``midi_corpus.midi_offbeat_positions``)."""
    from studio.music.corpus.midi import midi_files, midi_offbeat_positions
    from studio.music.corpus.swing import load_corpus_timing
    from studio.music.corpus.wjazzd import is_wjazzd_folder

    if is_wjazzd_folder(folder):
        timing = {t.title: t.offbeat_eighths() for t in load_corpus_timing(folder)}
    else:
        timing = {path.stem: midi_offbeat_positions(path) for path in midi_files(folder)}
    return lambda solo: timing.get(solo.title)


def model_takes(ck, solos, settings: JazzSettings | None = None, seed: int = 0):
    """One take per human solo, over its changes at its tempo (seed + i)."""
    settings = settings or JazzSettings()
    takes = []
    for i, solo in enumerate(solos):
        run = replace(settings, seed=seed + i, count=1, primer=None)
        takes.append(generate_over(ck, solo, run)[0].solo)
    return takes


def jazz_report(human_folder, ck=None, takes_folder=None, settings: JazzSettings | None = None,
                train_corpus=None, held_out: bool | None = None, seed: int = 0,
                limit: int | None = None, swing: bool = True, split: str | None = None) -> dict:
    """Figures for the model side and the human side (a dict, JSON-ready); ``split`` as in
    ``held_out_solos`` (None: the test split where there is one)."""
    if ck is None and takes_folder is None:
        raise ValueError("give a model or a folder of takes")
    chords = model_plays_chords(ck.meta or {}) if ck is not None else True
    human = load_jazz_corpus(human_folder)
    fingerprint, source, train_sha = training_fingerprint(ck, train_corpus)
    meta = dict(ck.meta or {}) if ck is not None else {}
    meta["corpus"] = {**(meta.get("corpus") or {}), "sha256": train_sha}
    solos, whole, words = held_out_solos(human, meta, split, held_out)
    solos = solos[:limit] if limit else solos
    out = {"human_folder": str(human_folder), "human_solos": len(solos),
           "human_held_out": "whole folder" if whole else
           words.split(":", 1)[0].split(" (", 1)[0] + " of the training corpus",
           "human_split": words,
           "reference": source, "tempo_bands": list(TEMPO_BANDS)}
    if ck is not None:
        takes = model_takes(ck, solos, settings, seed)
        out["model"] = ck.name
        out["settings"] = for_model(settings or JazzSettings(), ck).to_json()
        out["chord_aware"] = chords
    else:
        takes = load_jazz_corpus(takes_folder).solos
        out["model"] = f"takes in {Path(takes_folder).name}"
    # a model's takes are heard as the renderer plays them; a folder of takes as its files
    # play (re-rendering the notes read back would measure the renderer, not the files)
    take_swing = rendered_offbeats if ck is not None else measured_offbeats(takes_folder)
    out["model_side"] = report_figures(takes, fingerprint, None, take_swing if swing else None)
    out["human_side"] = report_figures(solos, fingerprint, [performer_of(s.title) for s in solos],
                                       measured_offbeats(human_folder) if swing else None)
    if swing:       # articulation, the line's own eighth pairs, dynamics: heard as for swing
        out["model_side"].update(playing_figures(
            takes, rendered_playing if ck is not None else measured_playing(takes_folder)))
        out["human_side"].update(playing_figures(solos, measured_playing(human_folder)))
    return out


ROWS = (
    ("notes per bar, < 140 bpm", ("notes_per_bar", TEMPO_BANDS[0])),
    ("notes per bar, 140-199 bpm", ("notes_per_bar", TEMPO_BANDS[1])),
    ("notes per bar, >= 200 bpm", ("notes_per_bar", TEMPO_BANDS[2])),
    ("swing ratio, < 140 bpm", ("swing_ratio", TEMPO_BANDS[0])),
    ("swing ratio, 140-199 bpm", ("swing_ratio", TEMPO_BANDS[1])),
    ("swing ratio, >= 200 bpm", ("swing_ratio", TEMPO_BANDS[2])),
    ("eighth pairs' own ratio, < 140 bpm", ("pair_ratio", TEMPO_BANDS[0])),
    ("eighth pairs' own ratio, 140-199 bpm", ("pair_ratio", TEMPO_BANDS[1])),
    ("eighth pairs' own ratio, >= 200 bpm", ("pair_ratio", TEMPO_BANDS[2])),
    ("notes held under 60% of their IOI", ("detached_share",)),
    ("velocity-pitch correlation (median per solo)", ("velocity_pitch_correlation",)),
    ("rests of a beat or more per 8 bars", ("rests_per_8_bars",)),
    ("longest repeated figure, notes (median)", ("longest_repeated_figure_median",)),
    ("repeated notes, share of steps", ("repeated_note_share",)),
    ("half steps, share of steps", ("half_step_share",)),
    ("whole steps, share of steps", ("whole_step_share",)),
    ("leaps of 5+ semitones, share of steps", ("leap_share_5",)),
    ("leaps of 8+ semitones, share of steps", ("leap_share_8",)),
    ("16th and triplet onsets, share", ("fine_onset_share",)),
    ("mean pitch (MIDI)", ("mean_pitch",)),
    ("idiom share (8-note patterns of other players)", ("idiom_share",)),
    ("longest copy of the training corpus, intervals (median)", ("longest_copy_median",)),
    ("longest copy of the training corpus, intervals (max)", ("longest_copy_max",)),
    ("chord-tone share, strong beats", ("chord_tone_share_strong_beats",)),
    ("chord-tone share, all notes", ("chord_tone_share",)),
    ("solos / bars / notes", None),
)


def _cell(side: dict, path) -> str:
    if path is None:
        return f"{side['solos']} / {side['bars']} / {side['notes']}"
    value = side
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    if value is None:
        return "n/a"
    return f"{value:.3f}" if isinstance(value, float) and value < 1 else \
        (f"{value:.2f}" if isinstance(value, float) else str(value))


def format_report(report: dict) -> str:
    """The report as a plain-text table (model side | human side)."""
    held = report["human_held_out"].replace(" of the training corpus", "")
    left, right = report["model"], f"human ({held})"
    width = max(len(label) for label, _ in ROWS)
    lines = [f"{'':<{width}}  {left[:28]:>18}  {right}"]
    for label, path in ROWS:
        if path is not None and all(path[0] not in report[side] for side in ("model_side", "human_side")):
            continue        # a report measured before the figure existed (a model card's)
        lines.append(f"{label:<{width}}  {_cell(report['model_side'], path):>18}  "
                     f"{_cell(report['human_side'], path)}")
    lines.append(f"human solos: {report.get('human_split', report['human_held_out'])}")
    lines.append(f"reference for idioms and copies: {report['reference']}")
    return "\n".join(line.rstrip() for line in lines)

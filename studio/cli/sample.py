"""``sequence-studio sample MODEL``: names, text, or a jazz solo over a chord chart (MIDI/WAV)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from studio.cli.common import add_device, check_seed, load_model, shown


def add_parser(sub):
    s = sub.add_parser("sample", help="generate names, text or a jazz solo")
    s.add_argument("model", help="checkpoint file or library model name")
    s.add_argument("--prime", default="", help="seed text the sample continues")
    s.add_argument("-n", "--count", type=int, default=1, help="number of samples (one batched pass)")
    s.add_argument("-t", "--temperature", type=float, default=1.0, help="0 = greedy")
    s.add_argument("--top-k", type=int, default=0)
    s.add_argument("--top-p", type=float, default=1.0)
    s.add_argument("--length", type=int, default=None, help="max tokens (default 40 names, 500 text)")
    s.add_argument("--seed", type=int, default=None, help="RNG seed: same seed, same take")
    s.add_argument("--json", action="store_true", help="print JSON")
    jazz = s.add_argument_group("jazz")
    jazz.add_argument("--chart", help="chord chart, e.g. '| Dm7 | G7 | Cmaj7 | %% |', or a preset name")
    jazz.add_argument("--tempo", type=float, default=None,
                      help="bpm (default 160; with --keep-bars, the take's own)")
    add_line_arguments(jazz)
    jazz.add_argument("--choruses", type=int, default=1)
    add_instrument_arguments(jazz)
    jazz.add_argument("--scale-mask", action="store_true", help="only chord-scale pitches")
    jazz.add_argument("--primer", help="MIDI file whose opening the solo continues")
    jazz.add_argument("--primer-bars", type=int, default=4, help="bars of the primer to use")
    jazz.add_argument("--keep-bars", type=int, default=None, metavar="N",
                      help="continue the --primer take: keep its first N bars note for note and "
                           "play the rest of the chart again (from bar N+1)")
    jazz.add_argument("--lead", help="the primer's part to continue: a part number or part of a "
                                     "track name (default: the lead part by name, program, range)")
    jazz.add_argument("--no-comping", action="store_true")
    jazz.add_argument("--no-bass", action="store_true")
    add_feel_arguments(jazz)
    jazz.add_argument("--out", help="write the take, in the format its extension names: .mid/.midi "
                                    "(MIDI), .musicxml/.xml/.mxl (lead sheet), .wav (audio)")
    jazz.add_argument("--wav", help="render the take to WAV")
    jazz.add_argument("--soundfont", help="a .sf2/.sf3 SoundFont for --wav, or 'none' for the built-in "
                                          "synth (default: the system's General MIDI SoundFont, if any)")
    jazz.add_argument("--xml", help="write a lead sheet (MusicXML: chord symbols, key, swing marking)")
    jazz.add_argument("--force", action="store_true",
                      help="replace existing --out/--wav/--xml files (never a model file)")
    add_device(s)
    return s


def run(args) -> int:
    from studio.core.sampling.generate import (NEW, REPEAT, UNKNOWN, generate_texts, input_note,
                                                known_items, mark_names, read_input, stream_text)
    from studio.core.sampling.sampler import SampleSettings

    check_sample_args(args)
    ck = load_model(args)
    if ck.domain == "jazz":
        return sample_jazz(ck, args)
    if getattr(args, "keep_bars", None) is not None:
        raise ValueError("--keep-bars continues a jazz take; text continues from --prime "
                         "(the text up to the character to go on from)")
    note = input_note(ck, args.prime)
    if note:  # names: the start is lowercased, as the corpus was
        print(f"note: {note}", file=sys.stderr)
    length = args.length if args.length is not None else (40 if ck.domain == "names" else 500)
    settings = SampleSettings(temperature=args.temperature, top_k=args.top_k, top_p=args.top_p,
                              max_length=length, count=args.count, seed=args.seed)
    if ck.domain == "text" and args.count == 1 and not args.json:
        sys.stdout.write(read_input(ck, args.prime))
        for piece in stream_text(ck, args.prime, settings):
            sys.stdout.write(piece)
            sys.stdout.flush()
        sys.stdout.write("\n")
        return 0
    texts = generate_texts(ck, args.prime, settings)
    known = known_items(ck)
    marks = mark_names(texts, known) if ck.domain == "names" else [(t, UNKNOWN) for t in texts]
    if args.json:
        first = {}  # a repeat is as new (or not) as its first time
        for t, mark in marks:
            first.setdefault(t.lower(), mark)
        rows = [{"text": t, "new": None if known is None else first[t.lower()] == NEW,
                 "repeat": mark == REPEAT} for t, mark in marks]
        print(json.dumps({"model": ck.name, "settings": settings.to_json(), "samples": rows}, indent=2))
        return 0
    for t, mark in marks:
        print(t + ("" if mark == UNKNOWN else f"  ({mark})"))
    return 0


def add_line_arguments(group) -> None:
    """The jazz line's temperature and lick flags (``sample`` and ``live`` share them)."""
    group.add_argument("--pitch-temperature", type=float, default=None,
                       help="temperature of the pitch choices, times -t (default: the tuned one)")
    group.add_argument("--rhythm-temperature", type=float, default=None,
                       help="temperature of onsets, durations and rests, times -t (default: the tuned one)")
    group.add_argument("--licks", type=float, default=None,
                       help="0..1: how strongly the line leans toward licks the training players "
                            "share (0 = off; default: the tuned one)")


def add_instrument_arguments(group) -> None:
    """The solo's instrument and range (``sample`` and ``live`` share them)."""
    group.add_argument("--instrument",
                       help="the solo's instrument: its sound, range and register (trumpet, alto, "
                            "tenor, soprano, baritone, trombone, clarinet, flute, vibes, guitar, "
                            "piano); default: the model's own register, a tenor sax sound")
    group.add_argument("--low", type=int, default=None, help="lowest MIDI pitch (default 48, or the instrument's)")
    group.add_argument("--high", type=int, default=None, help="highest MIDI pitch (default 84, or the instrument's)")
    group.add_argument("--program", type=int, default=None,
                       help="GM program of the solo (default 66 tenor sax, or the instrument's)")


def instrument_values(args) -> dict:
    """``program``, ``pitch_low``, ``pitch_high`` and ``register`` from --instrument, with
    --program, --low and --high given beside it winning."""
    from studio.music.perform.instruments import instrument_named

    inst = instrument_named(args.instrument) if args.instrument else None
    values = {"program": 66, "pitch_low": 48, "pitch_high": 84, "register": None}
    if inst is not None:
        values = {"program": inst.program, "pitch_low": inst.low, "pitch_high": inst.high,
                  "register": inst.register}
    for key, given in (("program", args.program), ("pitch_low", args.low), ("pitch_high", args.high)):
        if given is not None:
            values[key] = given
    if not 0 <= values["program"] <= 127:
        raise ValueError(f"--program must be a General MIDI program number 0..127, not {values['program']}")
    for flag, key in (("--low", "pitch_low"), ("--high", "pitch_high")):
        if not 0 <= values[key] <= 127:
            raise ValueError(f"{flag} must be a MIDI pitch 0..127, not {values[key]}")
    return values


def add_feel_arguments(group) -> None:
    """The feel flags: swing, human scatter, articulation (``sample`` and ``live`` share them)."""
    group.add_argument("--swing", default="auto",
                       help="offbeat eighths: 'auto' (as WJazzD's players at the tempo), 'straight', "
                            "or a ratio such as 1.6 (1.0-3.0)")
    group.add_argument("--humanize", type=float, default=1.0,
                       help="timing and dynamics scatter: 0 exact, 1 natural (default), up to 3")
    group.add_argument("--articulation", default="auto",
                       help="how long notes sound: 'players' (the WJazzD players' hold ratios at the "
                            "tempo), 'written' (the lead sheet's lengths), 'score' (the grid's as "
                            "sampled), 'auto' (default: players, or written at --humanize 0)")
    group.add_argument("--feel-seed", type=int, default=None,
                       help="seed of the human scatter (default: drawn from the take, so a take "
                            "always plays the same)")


def check_sample_args(args) -> None:
    """The numbers argparse lets through but the sampler or MIDI cannot take: one line each."""
    if args.length is not None and not 1 <= args.length <= 1_000_000:
        raise ValueError(f"--length must be at least 1 (and at most 1000000), not {args.length}")
    check_seed(args.seed)
    if not 1 <= args.count <= 10_000:
        raise ValueError(f"-n/--count must be at least 1 (and at most 10000), not {args.count}")
    instrument_values(args)   # a bad instrument, program or pitch: one line, before a model loads
    if args.feel_seed is not None and not 0 <= args.feel_seed < 1 << 63:
        raise ValueError(f"--feel-seed must be a whole number from 0 to {(1 << 63) - 1}, not {args.feel_seed}")
    route_out(args)


OUT_WRITERS = {".mid": "out", ".midi": "out", ".musicxml": "xml", ".xml": "xml", ".mxl": "xml",
               ".wav": "wav"}


def route_out(args) -> None:
    """``--out`` names its format by extension: a lead sheet or WAV path moves to ``--xml`` /
    ``--wav`` (whose writers it then uses), a MIDI path stays; any other extension, or the
    same kind of file asked for twice, is refused in one line before anything is sampled."""
    if not getattr(args, "out", None):
        return
    ext = Path(args.out).suffix.lower()
    flag = OUT_WRITERS.get(ext)
    from studio.core.outputs import is_model_file

    if is_model_file(args.out):  # the plainer reason first: a take never replaces a model
        raise ValueError(f"{args.out} is a Sequence Studio model: a take is never written over a "
                         "model (choose another file name)")
    if flag is None:
        raise ValueError(f"--out {args.out}: say what to write by the extension: .mid or .midi "
                         "(MIDI), .musicxml, .xml or .mxl (lead sheet), .wav (audio)")
    if flag != "out":
        if getattr(args, flag):
            raise ValueError(f"--out {args.out} and --{flag} {getattr(args, flag)} both ask for "
                             f"the {'lead sheet' if flag == 'xml' else 'WAV'}: give one")
        setattr(args, flag, args.out)
        args.out = None


# -- jazz: a solo over a chord chart ------------------------------------------------------

def sample_jazz(ck, args) -> int:
    from studio.music.chart import PRESETS, chart_notes
    from studio.music.perform.feel import Feel
    from studio.music.generate import JazzSettings, generate_takes, model_plays_chords
    from studio.music.audio.soundfont import OFF, render_take
    from studio.music.audio.synth import write_wav
    from studio.core.outputs import write_file

    chart = "Bb blues" if args.chart is None else args.chart  # "" is an empty chart, refused
    chart = PRESETS.get(chart, chart)  # a preset name or the chart text itself
    for note in chart_notes(chart):
        print(f"note: the chart has {note}", file=sys.stderr)
    keep = getattr(args, "keep_bars", None)
    if keep is not None and not args.primer:
        raise ValueError("--keep-bars keeps the first bars of a take: give it as --primer take.mid")
    source = None
    if keep is not None:   # continue from bar N: the window's Continue, the same function
        from studio.music.continuation import continue_takes, read_take
        source = read_take(args.primer, args.lead)
    tempo = args.tempo or (min(400.0, max(20.0, float(round(source.tempo)))) if source else 160.0)
    instrument = instrument_values(args)
    program = instrument.pop("program")
    settings = JazzSettings(temperature=args.temperature, top_p=args.top_p, top_k=args.top_k,
                            seed=args.seed, choruses=args.choruses, tempo=tempo,
                            scale_mask=args.scale_mask, **instrument,
                            primer=args.primer if keep is None else None,
                            primer_bars=args.primer_bars, count=args.count,
                            primer_lead=args.lead, **line_settings(args))
    if args.lead is not None and not args.primer:
        raise ValueError("--lead picks a part of the --primer MIDI file; give --primer too")
    feel = Feel.parse(args.swing, args.humanize, args.feel_seed, args.articulation)  # refused before sampling
    if keep is None:
        takes = generate_takes(ck, chart, settings)
    else:
        takes = continue_takes(ck, source, keep, chart, settings)
    outputs = []
    for i, take in enumerate(takes):
        suffix = "" if len(takes) == 1 else f"-{i + 1}"
        row = take.describe()
        row["metrics"] = take.metrics()
        row["feel"] = feel.to_json()
        # each file: claimed, kept if it exists (no --force), never over a model, atomic
        if args.out:
            path = _numbered(args.out, suffix)
            write_file(path, lambda tmp: take.to_midi(tmp, program=program, feel=feel,
                       comping=not args.no_comping, bass=not args.no_bass), force=args.force)
            row["midi"] = path
        if args.wav:
            path = _numbered(args.wav, suffix)
            sound = render_take(take, args.soundfont, program=program, feel=feel,
                                comping=not args.no_comping, bass=not args.no_bass)
            write_file(path, lambda tmp: write_wav(tmp, sound.buffer, sound.rate), force=args.force)
            row["wav"], row["sound"] = path, sound.engine
            if args.soundfont and sound.soundfont is None and args.soundfont.lower() not in OFF:
                print(f"note: --soundfont not used: {sound.engine}", file=sys.stderr)
        if args.xml:
            from studio.music.notation.leadsheet import musicxml_path, write_musicxml

            row["musicxml"] = str(write_file(musicxml_path(_numbered(args.xml, suffix)),
                                             lambda tmp: write_musicxml(take, tmp, feel=feel,
                                             bass=not args.no_bass), force=args.force))
        outputs.append(row)
    blind = not model_plays_chords(ck.meta or {})
    if args.json:
        print(json.dumps(outputs, indent=2, default=str))
        return 0
    if blind:
        print(f"{shown(ck.name)} is chord-blind (trained without chords): it plays over the chart "
              "without hearing it", file=sys.stderr)
    licks = takes[0].info.get("licks", "") if takes else ""
    if args.licks and licks.startswith("off: "):   # asked for, but this model has none
        print(f"{shown(ck.name)}: licks {licks}", file=sys.stderr)
    for row in outputs:
        m = row["metrics"]
        share = m.get("chord_tone_share")  # None over a chart with no chords (| NC |)
        share = f"{share:.2f}" if isinstance(share, (int, float)) else "- (no chords)"
        n = row.get("kept_bars")
        kept = "" if not n else ", bar 1 kept" if n == 1 else f", bars 1-{n} kept"
        print(f"take: {row['bars']} bars{kept}, {row['notes']} notes, {row['seconds']} s at {row['tempo']} bpm, "
              f"seed {row['seed']}; chord-tone share {share}")
        if not row["notes"]:
            print("  note: the model played no notes in this take: try another --seed, or a "
                  "higher --temperature or --rhythm-temperature", file=sys.stderr)
        for key in ("midi", "wav", "sound", "musicxml"):
            if key in row:
                print(f"  {key}: {row[key]}")
    if not (args.out or args.wav or args.xml):
        print("(use --out solo.mid, --wav solo.wav and/or --xml solo.musicxml to keep the take)",
              file=sys.stderr)
    return 0


def line_settings(args) -> dict:
    """The jazz line flags that were given: pitch/rhythm temperature, licks (the rest keep
    JazzSettings' tuned defaults)."""
    return {k: getattr(args, k) for k in ("pitch_temperature", "rhythm_temperature", "licks")
            if getattr(args, k, None) is not None}


def _numbered(path: str, suffix: str) -> str:
    if not suffix:
        return path
    stem, dot, ext = path.rpartition(".")
    return f"{stem}{suffix}.{ext}" if dot else path + suffix

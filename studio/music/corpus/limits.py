"""Bounds on what one corpus file may make a reader do.

A file is data from anywhere: one bad number in it (an end-of-track delta of 2**28
ticks, a note held for billions of ticks, ``beat=999999``, ``pitch=inf``) must not make a
reader lay out a million bars or allocate gigabytes. Readers check these bounds and skip
such a file with the reason in its report entry. Each bound is far above anything real:
WJazzD's longest solo has 4,954 notes over 997 bars, its longest note lasts 10.7 s, its
tatum divisions go up to 14, and its largest CSV is 0.4 MB.
"""

MAX_MIDI_BYTES = 4 << 20      # a long, dense band arrangement is a few hundred KB
MAX_CSV_BYTES = 16 << 20
MAX_BARS = 2_000
MAX_NOTES = 40_000
MAX_BEATS_PER_BAR = 16
MAX_DIVISION = 96             # tatums per beat
MAX_NOTE_SECONDS = 120.0


def too_many_bars(bars: int) -> str | None:
    """The reason to skip a file that spans ``bars`` bars, or None."""
    if bars > MAX_BARS:
        return (f"the file spans {bars:,} bars (a note or the end of a track lies that far in); "
                f"more than {MAX_BARS:,} is taken for a damaged file")
    return None


def too_many_notes(notes: int) -> str | None:
    if notes > MAX_NOTES:
        return f"{notes:,} notes in one solo; more than {MAX_NOTES:,} is taken for a damaged file"
    return None


def too_large(size: int, limit: int) -> str | None:
    if size > limit:
        return f"the file is too large ({size / 1e6:.1f} MB; the limit is {limit / 1e6:.0f} MB)"
    return None

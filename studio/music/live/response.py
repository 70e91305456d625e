"""How a trading answer responds to the player's call: the ``JazzSettings`` fields each
response mode sets (the model does the responding: a motif bias, a register)."""

from __future__ import annotations

from studio.music.types import Solo

# How an answer responds to the call (Impro-Visor offers the like): free = primed with it
# only; develop = leaning toward its interval cells and their inversion, in its register;
# echo = quoting its last bar, then developing; contrast = another register, no cells.
# Every mode but free takes the call's dynamics.
RESPONSE_MODES = ("free", "develop", "echo", "contrast")
MOTIF_STRENGTH = {"develop": 2.0, "echo": 1.0}   # motif_bias strength per mode (develop: 1.0 -> 2.0
# took the answers sharing a 4-interval cell with the call from 45% to 50%, 3.0 to 55%
# with the chord-tone share falling toward the players' low end: 20 WJazzD calls)
REGISTER_MARGIN = 5            # develop: the call's range widened by this, each side


def response_settings(mode: str, phrase: Solo, s) -> dict:
    """The JazzSettings fields by which an answer responds to the call ``phrase`` in
    ``mode``, given the user's settings ``s`` (free: none)."""
    if mode == "free":
        return {}
    pitches = [n.pitch for n in sorted(phrase.notes)]
    low, high = min(pitches), max(pitches)
    if mode == "contrast":           # the other side of the user's range from the call
        middle = (s.pitch_low + s.pitch_high) / 2
        if (low + high) / 2 >= middle:
            return {"pitch_high": max(s.pitch_low + 12, min(s.pitch_high, low + 7))}
        return {"pitch_low": min(s.pitch_high - 12, max(s.pitch_low, high - 7))}
    lo = max(s.pitch_low, low - REGISTER_MARGIN)
    hi = min(s.pitch_high, high + REGISTER_MARGIN)
    if hi - lo < 19:                 # never squeeze the line into less than an octave and a half
        lo, hi = max(s.pitch_low, min(lo, hi - 19)), min(s.pitch_high, max(hi, lo + 19))
    return {"motif": pitches, "motif_strength": MOTIF_STRENGTH[mode], "pitch_low": lo,
            "pitch_high": hi}
